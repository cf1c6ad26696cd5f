// Package bench is passbridge bench: a load generator that drives the flows
// of provider/loadflow against a running passbridge from a number of
// concurrent workers, and reports per flow the iterations, errors,
// throughput, latency percentiles, each step's share of the time and, for a
// server process on this host, its CPU time per iteration and memory.
package bench

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/passbridge/passbridge/provider/loadflow"
)

// Config is one run of the bench.
type Config struct {
	// URL is the server, its issuer for the OpenID Connect flows.
	URL string
	// Flows are run one after the other, each measured on its own.
	Flows []string
	// Concurrency is the number of workers, each running one iteration
	// at a time.
	Concurrency int
	// Duration is each flow's measured window, unless Iterations is set:
	// then each flow runs that many iterations in all.
	Duration   time.Duration
	Iterations int
	// Warmup runs before each measured window and is not counted.
	Warmup Warmup
	// Users is the number of virtual users (0: Concurrency); workers take
	// them in turn.
	Users int
	// Objects are the app, key and client to use; with Setup they are made.
	Objects Objects
	// Origin is where the app's pages run, for the Flex and start/finish
	// ceremonies ("": the URL's origin).
	Origin string
	// Public makes the OpenID Connect flows use a public client (PKCE only).
	Public bool
	// Setup, when set, makes the app, API key and client (Objects is
	// ignored) and, unless Keep, removes them when the run ends.
	Setup Backend
	Keep  bool
	// SeedDevices users with one passkey each are added to the app before
	// the first flow, through Seeder.
	SeedDevices int
	Seeder      Backend
	// ServerPID is the server's process on this host (0: none): its CPU
	// time over each measured window and its memory are reported.
	ServerPID int
	// CPUProfile, when set, is the file the server's CPU profile of each
	// measured window is written to, fetched from PprofURL (the server's
	// net/http/pprof listener). Several flows write one file each, the
	// flow's name before the extension.
	CPUProfile string
	PprofURL   string
	// Progress receives a progress line (nil: none); on a Terminal it is
	// rewritten in place.
	Progress io.Writer
	Terminal bool
	// HTTP is the client to use (nil: one sized for Concurrency).
	HTTP *http.Client
	// Now is the clock (nil: time.Now), for the names of what Setup makes.
	Now func() time.Time
}

// Objects are the app, API key and OpenID Connect client a run uses.
type Objects struct {
	AppID, APIKey                       string
	ClientID, ClientSecret, RedirectURI string
}

// Warmup is how long each flow runs before it is measured: a duration or a
// number of iterations.
type Warmup struct {
	Duration   time.Duration
	Iterations int
}

// ParseWarmup reads "2s" (a duration) or "100" (iterations).
func ParseWarmup(s string) (Warmup, error) {
	if n, err := strconv.Atoi(s); err == nil && n >= 0 {
		return Warmup{Iterations: n}, nil
	}
	if d, err := time.ParseDuration(s); err == nil && d >= 0 {
		return Warmup{Duration: d}, nil
	}
	return Warmup{}, fmt.Errorf("--warmup %q: want a duration (2s) or a number of iterations (100)", s)
}

// ParseFlows splits comma lists and checks each name.
func ParseFlows(values []string) ([]string, error) {
	var out []string
	for _, v := range values {
		for name := range strings.SplitSeq(v, ",") {
			name = strings.TrimSpace(name)
			if name == "" {
				continue
			}
			if !slices.Contains(loadflow.Names(), name) {
				return nil, fmt.Errorf("unknown flow %q: want %s", name, strings.Join(loadflow.Names(), ", "))
			}
			if !slices.Contains(out, name) {
				out = append(out, name)
			}
		}
	}
	if len(out) == 0 {
		return nil, errors.New("no flow: give --flow")
	}
	return out, nil
}

// needsClient reports whether any flow signs in through OpenID Connect.
func (c Config) needsClient() bool {
	return slices.ContainsFunc(c.Flows, loadflow.NeedsClient)
}

// Check reports every problem of c at once.
func (c Config) Check() error {
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if u, err := url.Parse(c.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		add("--url %q: want an absolute http or https url", c.URL)
	}
	if len(c.Flows) == 0 {
		add("no flow: give --flow")
	}
	if c.Concurrency < 1 {
		add("--concurrency %d: want at least 1", c.Concurrency)
	}
	if o, err := url.Parse(c.Origin); c.Origin != "" && (err != nil || o.Scheme == "" || o.Host == "" || o.Path != "") {
		add("--origin %q: want a scheme and a host, such as https://app.example.com", c.Origin)
	}
	if c.Users < 0 {
		add("--users %d: want at least 1", c.Users)
	}
	switch {
	case c.Iterations < 0:
		add("--iterations %d: want at least 1", c.Iterations)
	case c.Iterations == 0 && c.Duration <= 0:
		add("--duration %s: want more than 0", c.Duration)
	}
	if c.SeedDevices < 0 {
		add("--seed-devices %d: want 0 or more", c.SeedDevices)
	}
	if c.SeedDevices > 0 && c.Seeder == nil {
		add("--seed-devices needs --admin-key or a database")
	}
	if c.Setup == nil {
		if c.Objects.AppID == "" || c.Objects.APIKey == "" {
			add("--app and --api-key are required without --setup (--setup makes an app, a key and a client)")
		}
		if c.needsClient() {
			switch {
			case c.Objects.ClientID == "" || c.Objects.RedirectURI == "":
				add("the oidc flows need --client-id and --redirect-uri without --setup")
			case !c.Public && c.Objects.ClientSecret == "":
				add("the oidc flows need --client-secret of a confidential client, or --public")
			}
		}
	}
	if c.CPUProfile != "" {
		if c.PprofURL == "" {
			add("--cpuprofile needs --pprof-url: the server's debug listener")
		}
		if c.Iterations > 0 {
			add("--cpuprofile needs --duration: a profile's length is set when it starts")
		}
	}
	if c.ServerPID < 0 {
		add("--server-pid %d: want a process id", c.ServerPID)
	}
	return errors.Join(errs...)
}
