package bench

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/passbridge/passbridge/provider/loadflow"
)

// SetupRedirectURI is the redirect URI of the client --setup makes. Nothing
// listens there and the bench never goes there: it reads the code from the
// redirect.
const SetupRedirectURI = "http://127.0.0.1/passbridge-bench/callback"

// SetupNamePrefix starts the name of the app, API key and client --setup
// makes, so that kept ones are easy to find.
const SetupNamePrefix = "passbridge-bench "

// Run runs every flow of cfg in turn and returns their reports. With an
// error it returns the reports of the flows that ran before.
func Run(ctx context.Context, cfg Config) (reports []Report, err error) {
	if err := cfg.Check(); err != nil {
		return nil, err
	}
	if cfg.ServerPID > 0 {
		if err := checkProcess(cfg.ServerPID); err != nil {
			return nil, err
		}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Users == 0 {
		cfg.Users = cfg.Concurrency
	}
	hc := cfg.HTTP
	if hc == nil {
		hc = newHTTPClient(cfg.Concurrency)
	}
	if err := checkReachable(ctx, hc, cfg.URL); err != nil {
		return nil, err
	}
	p := newProgress(cfg.Progress, cfg.Terminal)
	// One prefix per run, so that runs against one app never meet.
	prefix := "bench-" + randomHex(4)
	objs := cfg.Objects
	if cfg.Setup != nil {
		if objs, err = provision(ctx, cfg.Setup, cfg.URL, cfg.Now(), cfg.needsClient(), cfg.Public); err != nil {
			return nil, err
		}
		defer func() {
			// An interrupted run cleans up too.
			err = errors.Join(err, finish(context.WithoutCancel(ctx), cfg, objs))
		}()
	}
	if cfg.SeedDevices > 0 {
		if _, err := seed(ctx, cfg.Seeder, objs.AppID, prefix, cfg.SeedDevices, cfg.Now(), p); err != nil {
			return nil, err
		}
	}
	for _, name := range cfg.Flows {
		target := loadflow.Target{BaseURL: cfg.URL, Origin: cfg.Origin, AppID: objs.AppID, APIKey: objs.APIKey, ClientID: objs.ClientID,
			ClientSecret: objs.ClientSecret, RedirectURI: objs.RedirectURI, Public: cfg.Public, HTTP: hc,
			UserPrefix: prefix + "-" + name}
		r, err := runFlow(ctx, cfg, hc, target, name, p)
		if err != nil {
			return reports, err
		}
		reports = append(reports, r)
	}
	return reports, nil
}

// runFlow sets up a flow's users, warms up, and measures.
func runFlow(ctx context.Context, cfg Config, hc *http.Client, target loadflow.Target, name string, p *progress) (Report, error) {
	flow, err := loadflow.New(name, target)
	if err != nil {
		return Report{}, err
	}
	users, setup := setUp(ctx, flow, cfg.Users, cfg.Concurrency, p)
	rep := Report{Flow: name, URL: cfg.URL, Concurrency: cfg.Concurrency, Users: cfg.Users, SetupErrors: setup.errors,
		ErrorMessages: []string{}, Steps: []Step{}}
	if err := ctx.Err(); err != nil {
		return rep, err
	}
	if len(users) == 0 {
		rep.ErrorMessages = setup.messages
		return rep, nil
	}
	if w := cfg.Warmup; w.Duration > 0 || w.Iterations > 0 {
		warm := &phase{label: name + ": warming up", users: users, concurrency: cfg.Concurrency,
			iterations: w.Iterations, duration: w.Duration}
		warm.run(ctx, p)
	}
	measured := &phase{label: name, users: users, concurrency: cfg.Concurrency, iterations: cfg.Iterations, duration: cfg.Duration}
	var watch *serverWatch
	if cfg.ServerPID > 0 {
		if watch, err = watchServer(cfg.ServerPID); err != nil {
			return rep, err
		}
	}
	var prof *profile
	file := profileFile(cfg.CPUProfile, name, len(cfg.Flows))
	if cfg.CPUProfile != "" {
		prof = fetchProfile(ctx, hc, cfg.PprofURL, cfg.Duration, file)
	}
	t, elapsed := measured.run(ctx, p)
	if watch != nil {
		if rep.Server, err = watch.end(len(t.durations) + t.errors); err != nil {
			return rep, err
		}
	}
	if prof != nil {
		if err := prof.wait(); err != nil {
			return rep, err
		}
		rep.CPUProfile = file
	}
	if err := ctx.Err(); err != nil {
		return rep, err
	}
	rep.Iterations, rep.Errors = len(t.durations), t.errors
	rep.ErrorMessages = distinct(setup.messages, t.messages)
	rep.ElapsedS = round(elapsed.Seconds(), 3)
	if elapsed > 0 {
		rep.Throughput = round(float64(rep.Iterations)/elapsed.Seconds(), 1)
	}
	rep.Latency = t.latency()
	rep.Steps = t.stepReport()
	return rep, nil
}

// newHTTPClient is a client for concurrency workers: each holds at most
// one connection at a time, kept alive between its requests.
func newHTTPClient(concurrency int) *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns = 2*concurrency + 8
	tr.MaxIdleConnsPerHost = concurrency + 4 // a few spare: setup, the profile
	return &http.Client{Transport: tr, Timeout: 30 * time.Second}
}

// checkReachable asks the server's /healthz, so that a wrong URL is one
// clear error before anything else.
func checkReachable(ctx context.Context, hc *http.Client, base string) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(base, "/")+"/healthz", nil)
	if err != nil {
		return fmt.Errorf("--url %s: %w", base, err)
	}
	res, err := hc.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return fmt.Errorf("passbridge at %s is not reachable: %w", base, err)
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("passbridge at %s: /healthz answered %d", base, res.StatusCode)
	}
	return nil
}

// provision makes an app whose RP ID is the URL's host and whose origin is
// the URL's origin, an API key, and with client an OpenID Connect client;
// all named SetupNamePrefix and the time.
func provision(ctx context.Context, b Backend, base string, now time.Time, client, public bool) (Objects, error) {
	u, err := url.Parse(base)
	if err != nil {
		return Objects{}, err
	}
	name := SetupNamePrefix + now.UTC().Format("2006-01-02T15:04:05Z")
	appID, err := b.CreateApp(ctx, name, u.Hostname(), u.Scheme+"://"+u.Host)
	if err != nil {
		return Objects{}, fmt.Errorf("setup: %w", err)
	}
	o := Objects{AppID: appID}
	o.APIKey, err = b.CreateAPIKey(ctx, appID, name)
	if err == nil && client {
		o.RedirectURI = SetupRedirectURI
		o.ClientID, o.ClientSecret, err = b.CreateClient(ctx, appID, name, o.RedirectURI, public)
	}
	if err != nil {
		return Objects{}, errors.Join(fmt.Errorf("setup: %w", err), b.DeleteApp(context.WithoutCancel(ctx), appID))
	}
	return o, nil
}

// finish removes what --setup made, or with Keep says what it was. The
// key and the secret are shown only on a terminal: anything else may be a
// log that keeps them.
func finish(ctx context.Context, cfg Config, o Objects) error {
	if !cfg.Keep {
		if err := cfg.Setup.DeleteApp(ctx, o.AppID); err != nil {
			return fmt.Errorf("remove the app --setup made (%s): %w", o.AppID, err)
		}
		return nil
	}
	if cfg.Progress == nil {
		return nil
	}
	w := cfg.Progress
	fmt.Fprintf(w, "kept: --app %s", o.AppID)
	if cfg.Terminal {
		fmt.Fprintf(w, " --api-key %s", o.APIKey)
	}
	if o.ClientID != "" {
		fmt.Fprintf(w, " --client-id %s --redirect-uri %s", o.ClientID, o.RedirectURI)
		if cfg.Terminal && o.ClientSecret != "" {
			fmt.Fprintf(w, " --client-secret %s", o.ClientSecret)
		}
	}
	fmt.Fprintln(w)
	if !cfg.Terminal {
		fmt.Fprintln(w, "The API key and client secret are shown on a terminal only; make new ones with "+
			"passbridge apikeys create and clients update --rotate-secret.")
	}
	return nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return hex.EncodeToString(b)
}
