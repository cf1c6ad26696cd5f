package cli

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/passbridge/passbridge/cmd/passbridge/internal/bench"
	"github.com/passbridge/passbridge/provider/loadflow"
	"github.com/passbridge/passbridge/storage"
)

// benchFlags are the bench command's flags.
type benchFlags struct {
	url, origin, warmup, adminKey               string
	flows                                       []string
	concurrency, iterations, users, seedDevices int
	serverPID                                   int
	duration                                    time.Duration
	public, setup, keep                         bool
	objects                                     bench.Objects
	cpuProfile, pprofURL                        string
}

const benchLong = `Bench drives passbridge's flows against a running server, as real clients do (a backend with
its API key; browsers, each with a cookie jar and a software passkey provider; an OpenID Connect
relying party that verifies the ID token), from --concurrency workers, and reports per flow the
iterations, errors, throughput, latency percentiles and each step's share of the time.

Flows (--flow, repeatable or comma-separated; run one after the other):
  flex-register  the backend creates a register transaction for a new user, the browser registers
                 a passkey, the backend verifies the nonce (every iteration is a sign-up)
  flex-auth      an authenticate transaction, the ceremony, the nonce verified
  discoverable   the ceremony without a transaction, the nonce verified
  byo-auth       the start/finish API: authenticate/start, the authenticator, authenticate/finish
  oidc           a browser without a session: /authorize, the login page and its calls, the
                 ceremony, the redirect with the code, the code exchanged, the ID token
                 verified (go-oidc)
  oidc-sso       a browser whose session satisfies the request: /authorize, the redirects, the
                 code exchanged, the ID token verified; no ceremony
Each virtual user (--users, default --concurrency) registers its passkey before the warm-up;
workers take the users in turn, and no user runs in two workers at once unless --users is below
--concurrency. Users are named bench-<random>-<flow>-<n>; without --setup they
stay in the app.

What it runs against:
  --app, --api-key              an app and its API key (every flow registers passkeys through it);
                                --origin is where its pages run (default: the URL's origin)
  --client-id, --client-secret, --redirect-uri
                                a client of the app, for the oidc flows (--public: no secret, PKCE
                                only); the redirect URI is never fetched, the code is read from
                                the redirect. --url must be the server's issuer for these flows.
  --setup                       makes instead an app (RP ID the URL's host, origin the URL's
                                origin), an API key and a client, named "passbridge-bench <time>",
                                through the admin API with --admin-key, or else the store of
                                --database-url and the configuration, as the other commands; and
                                deletes the app with everything in it when the run ends
                                (--keep leaves it, and prints the flags that reuse it)
  --seed-devices N              first adds N users with one passkey each to the app, through the
                                admin API's import with --admin-key, or else the store

--server-pid PID reads the server's CPU time (/proc) before and after each measured window and its
memory (VmRSS) at the end, and the peak sampled during it. --cpuprofile FILE fetches the server's
CPU profile of each measured window from --pprof-url (its net/http/pprof debug listener); with
several flows each gets FILE with the flow's name before the extension.

Failed iterations are counted, with the first distinct messages ("step: status code"); the exit
status is 0 whenever the run completed, errors or not, and 1 for bad flags, an unreachable server
or a failed --setup.

The server's rate limits apply to the bench as to anyone: against a server with the defaults,
run it with --rate-limit 0 --key-rate-limit 0, or the bench measures 429s.

--json prints one line per flow: flow, url, concurrency, users, iterations (succeeded), errors
(failed), setup_errors (users not set up), error_messages (the first distinct ones), elapsed_s,
throughput_per_s, latency_ms {mean, p50, p90, p99, max} (of the succeeded iterations), steps
[{name, count, mean_ms, share}], server {cpu_s, cpu_ms_per_iteration, rss_mib, peak_rss_mib}
(null without --server-pid), cpu_profile.`

func (c *cli) benchCommand() *cobra.Command {
	var f benchFlags
	cmd := &cobra.Command{
		Use:   "bench [--flow F …] [--concurrency N] [--duration D | --iterations N] (--setup | --app A --api-key K …)",
		Short: "Load-test a running passbridge with real clients' flows",
		Long:  benchLong,
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return c.runBench(cmd, f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.url, "url", "http://localhost:8080", "the server (its issuer, for the oidc flows)")
	fl.StringSliceVar(&f.flows, "flow", []string{loadflow.FlexAuth}, "flows to run: "+strings.Join(loadflow.Names(), ", "))
	fl.IntVar(&f.concurrency, "concurrency", 8, "workers, each running one iteration at a time")
	fl.DurationVar(&f.duration, "duration", 10*time.Second, "each flow's measured window")
	fl.IntVar(&f.iterations, "iterations", 0, "each flow's iterations in all, instead of --duration")
	fl.StringVar(&f.warmup, "warmup", "2s", "run before each measured window, not counted: a duration or a number of iterations")
	fl.IntVar(&f.users, "users", 0, "virtual users, each a cookie jar and a passkey (default --concurrency)")
	fl.IntVar(&f.seedDevices, "seed-devices", 0, "add this many users with one passkey each before measuring")
	fl.BoolVar(&f.public, "public", false, "a public client (PKCE only) for the oidc flows, instead of a confidential one")
	fl.IntVar(&f.serverPID, "server-pid", 0, "the server's process on this host: report its CPU time per iteration and memory")
	fl.StringVar(&f.origin, "origin", "", "origin of the app's pages, where the flex and byo ceremonies run (default: the URL's origin)")
	fl.StringVar(&f.objects.AppID, "app", "", "app ID")
	fl.StringVar(&f.objects.APIKey, "api-key", "", "API key of the app")
	fl.StringVar(&f.objects.ClientID, "client-id", "", "OpenID Connect client of the app, for the oidc flows")
	fl.StringVar(&f.objects.ClientSecret, "client-secret", "", "the client's secret (client_secret_basic)")
	fl.StringVar(&f.objects.RedirectURI, "redirect-uri", "", "a redirect URI of the client")
	fl.BoolVar(&f.setup, "setup", false, "make an app, an API key and a client for the run, and delete them after it")
	fl.BoolVar(&f.keep, "keep", false, "with --setup: keep what it made")
	fl.StringVar(&f.adminKey, "admin-key", "", "admin key (pba_…) for --setup and --seed-devices through the admin API")
	fl.StringVar(&f.cpuProfile, "cpuprofile", "", "write the server's CPU profile of the measured window to this file")
	fl.StringVar(&f.pprofURL, "pprof-url", "", "the server's net/http/pprof debug listener, for --cpuprofile")
	cmd.MarkFlagsMutuallyExclusive("duration", "iterations")
	return cmd
}

// runBench checks the flags, opens the store when --setup or
// --seed-devices work through it, runs the bench and prints the reports.
func (c *cli) runBench(cmd *cobra.Command, f benchFlags) error {
	flows, err := bench.ParseFlows(f.flows)
	if err != nil {
		return err
	}
	warm, err := bench.ParseWarmup(f.warmup)
	if err != nil {
		return err
	}
	if f.keep && !f.setup {
		return errors.New("--keep is for --setup")
	}
	cfg := bench.Config{
		URL: f.url, Origin: f.origin, Flows: flows, Concurrency: f.concurrency, Duration: f.duration, Iterations: f.iterations,
		Warmup: warm, Users: f.users, Objects: f.objects, Public: f.public, Keep: f.keep, SeedDevices: f.seedDevices,
		ServerPID: f.serverPID, CPUProfile: f.cpuProfile, PprofURL: f.pprofURL,
		Progress: c.env.Stderr, Terminal: c.env.IsTerminal(c.env.Stderr), Now: c.env.Now,
	}
	if f.iterations > 0 {
		cfg.Duration = 0
	}
	// The store is opened only once the flags are known to be good; the
	// backend is filled in then.
	var backend bench.Backend
	store := &bench.StoreBackend{Now: c.env.Now}
	if f.adminKey != "" {
		backend = &bench.AdminAPI{URL: f.url, Key: f.adminKey}
	} else {
		backend = store
	}
	if f.setup {
		cfg.Setup = backend
	}
	if f.seedDevices > 0 {
		cfg.Seeder = backend
	}
	if err := cfg.Check(); err != nil {
		return err
	}
	run := func(ctx context.Context) error {
		reports, err := bench.Run(ctx, cfg)
		if len(reports) > 0 {
			var perr error
			if c.json {
				perr = bench.WriteJSON(c.env.Stdout, reports)
			} else {
				perr = bench.WriteTable(c.env.Stdout, reports)
			}
			err = errors.Join(err, perr)
		}
		return err
	}
	if backend != store || (cfg.Setup == nil && cfg.Seeder == nil) {
		return run(cmd.Context())
	}
	// Only a confidential client's secret needs the master key.
	needKey := f.setup && !f.public && slices.ContainsFunc(flows, loadflow.NeedsClient)
	return c.withClientStore(cmd, needKey, func(ctx context.Context, st storage.Store, masterKey []byte) error {
		store.Store, store.MasterKey = st, masterKey
		return run(ctx)
	})
}
