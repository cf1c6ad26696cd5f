package bench

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/passbridge/passbridge/provider/loadflow"
	"github.com/passbridge/passbridge/storage"
)

// Every flow runs without an error on every engine, with what --setup
// made through the store, which is gone afterwards.
func TestEveryFlow(t *testing.T) {
	forEachEngine(t, func(t *testing.T, s *server) {
		cfg := s.config(loadflow.Names()...)
		cfg.Setup = s.storeBackend()
		reports, err := Run(t.Context(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		if len(reports) != len(loadflow.Names()) {
			t.Fatalf("%d reports", len(reports))
		}
		for i, r := range reports {
			if r.Flow != loadflow.Names()[i] || r.Concurrency != 2 || r.Users != 2 || r.Server != nil {
				t.Errorf("report %d: %+v", i, r)
			}
			checkClean(t, r, 6)
		}
		if apps := s.apps(t); len(apps) != 0 {
			t.Fatalf("--setup left %d apps", len(apps))
		}
	})
}

// More workers than users: workers share users, as two tabs of one
// browser would.
func TestMoreWorkersThanUsers(t *testing.T) {
	s := newServer(t)
	cfg := s.config(loadflow.Names()...)
	cfg.Setup, cfg.Users, cfg.Concurrency, cfg.Iterations = s.storeBackend(), 1, 2, 8
	reports, err := Run(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range reports {
		checkClean(t, r, 8)
	}
}

// The JSON report is one line per flow with the documented fields.
func TestJSONReport(t *testing.T) {
	s := newServer(t)
	cfg := s.config(loadflow.FlexAuth, loadflow.OIDCSSO)
	cfg.Setup = s.storeBackend()
	reports, err := Run(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := WriteJSON(&buf, reports); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d lines:\n%s", len(lines), buf.String())
	}
	want := []string{"flow", "url", "concurrency", "users", "iterations", "errors", "setup_errors", "error_messages",
		"elapsed_s", "throughput_per_s", "latency_ms", "steps", "server"}
	for i, line := range lines {
		var got map[string]json.RawMessage
		if err := json.Unmarshal([]byte(line), &got); err != nil {
			t.Fatalf("line %d: %v", i, err)
		}
		for _, k := range want {
			if _, ok := got[k]; !ok {
				t.Errorf("line %d lacks %q: %s", i, k, line)
			}
		}
		var lat map[string]float64
		if err := json.Unmarshal(got["latency_ms"], &lat); err != nil || len(lat) != 5 || lat["p99"] <= 0 {
			t.Errorf("latency_ms %s", got["latency_ms"])
		}
		var steps []map[string]any
		if err := json.Unmarshal(got["steps"], &steps); err != nil || len(steps) == 0 || steps[0]["name"] == "" ||
			steps[0]["mean_ms"] == nil || steps[0]["share"] == nil || steps[0]["count"] == nil {
			t.Errorf("steps %s", got["steps"])
		}
		if string(got["server"]) != "null" || string(got["error_messages"]) != "[]" {
			t.Errorf("server %s, error_messages %s", got["server"], got["error_messages"])
		}
	}

	var table bytes.Buffer
	if err := WriteTable(&table, reports); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"FLOW", "P99 MS", "flex-auth", "oidc-sso", "verify_id_token", "%"} {
		if !strings.Contains(table.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, table.String())
		}
	}
}

// --setup through the admin API makes a named app, key and public client;
// --seed-devices grows the app by that many devices; --keep leaves them.
func TestSetupAndSeedThroughAdminAPI(t *testing.T) {
	forEachEngine(t, func(t *testing.T, s *server) {
		admin := s.adminAPI(t)
		cfg := s.config(loadflow.FlexAuth, loadflow.OIDC)
		cfg.Setup, cfg.Seeder, cfg.SeedDevices, cfg.Public, cfg.Keep = admin, admin, 2345, true, true
		var progress bytes.Buffer
		cfg.Progress = &progress
		reports, err := Run(t.Context(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range reports {
			checkClean(t, r, 6)
		}
		apps := s.apps(t)
		if len(apps) != 1 || !strings.HasPrefix(apps[0].Name, SetupNamePrefix) || apps[0].RPID != "localhost" ||
			!slices.Equal(apps[0].Origins, []string{s.Issuer}) {
			t.Fatalf("apps %+v", apps)
		}
		clients, err := s.st.ListClients(t.Context(), apps[0].ID)
		if err != nil || len(clients) != 1 || clients[0].AuthMethod != storage.AuthMethodNone {
			t.Fatalf("clients %+v, %v", clients, err)
		}
		// Two users of each flow registered a passkey.
		if got := s.devices(t, apps[0].ID); got != 2345+4 {
			t.Fatalf("%d devices, want %d", got, 2345+4)
		}
		if !strings.Contains(progress.String(), "seeding: 2345/2345 devices") || !strings.Contains(progress.String(), "kept: --app "+apps[0].ID) {
			t.Fatalf("progress:\n%s", progress.String())
		}
		// Not a terminal: the key is not shown.
		if strings.Contains(progress.String(), "pbk_") {
			t.Fatalf("the api key was shown off a terminal:\n%s", progress.String())
		}
	})
}

// --seed-devices through the store, in more than one chunk.
func TestSeedThroughStore(t *testing.T) {
	s := newServer(t)
	cfg := s.config(loadflow.Discoverable)
	cfg.Setup, cfg.Seeder, cfg.SeedDevices, cfg.Keep = s.storeBackend(), s.storeBackend(), seedChunk+3, true
	reports, err := Run(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	// The discoverable ceremony picks the users' own passkeys among them.
	checkClean(t, reports[0], 6)
	apps := s.apps(t)
	if len(apps) != 1 {
		t.Fatalf("%d apps", len(apps))
	}
	if got := s.devices(t, apps[0].ID); got != seedChunk+3+2 {
		t.Fatalf("%d devices, want %d", got, seedChunk+3+2)
	}
	events, err := s.st.ListAuditEvents(t.Context(), storage.AuditQuery{AppID: apps[0].ID, Limit: 10})
	if err != nil || len(events) == 0 {
		t.Fatalf("audit: %v %v", events, err)
	}
}

// A wrong API key is counted as errors, each naming its step and code.
func TestWrongAPIKeyCountsErrors(t *testing.T) {
	s := newServer(t)
	objs, err := provision(t.Context(), s.storeBackend(), s.Issuer, s.Clock.Now(), false, false)
	if err != nil {
		t.Fatal(err)
	}
	objs.APIKey = "pbk_wrong"
	cfg := s.config(loadflow.FlexRegister, loadflow.FlexAuth)
	cfg.Objects = objs
	reports, err := Run(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	reg, auth := reports[0], reports[1]
	const want = "create_transaction: 401 invalid_access_token: missing or invalid API key"
	if reg.Errors != 6 || reg.Iterations != 0 || !slices.Equal(reg.ErrorMessages, []string{want}) || len(reg.Steps) != 1 {
		t.Errorf("flex-register: %+v", reg)
	}
	if auth.SetupErrors != 2 || auth.Iterations != 0 || len(auth.ErrorMessages) != 1 || !strings.HasSuffix(auth.ErrorMessages[0], want) {
		t.Errorf("flex-auth: %+v", auth)
	}
	var table bytes.Buffer
	if err := WriteTable(&table, reports); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(table.String(), "2 of 2 users could not be set up") || !strings.Contains(table.String(), want) {
		t.Errorf("table:\n%s", table.String())
	}
}

// The Flex ceremonies run on --origin: one the app does not have is refused.
func TestOrigin(t *testing.T) {
	s := newServer(t)
	cfg := s.config(loadflow.Discoverable)
	cfg.Setup, cfg.Origin = s.storeBackend(), "http://localhost:1"
	reports, err := Run(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if r := reports[0]; r.SetupErrors != 2 || !slices.Equal(r.ErrorMessages, []string{"setup: register_start: 403 origin_not_allowed: this origin is not allowed to call this app"}) {
		t.Fatalf("%+v", r)
	}
}

// Bad configurations are refused before anything runs, each problem named.
func TestCheck(t *testing.T) {
	good := Config{URL: "http://localhost:8080", Flows: []string{loadflow.FlexAuth}, Concurrency: 8, Duration: 1,
		Objects: Objects{AppID: "a", APIKey: "k"}}
	if err := good.Check(); err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		change func(*Config)
		want   string
	}{
		"url":         {func(c *Config) { c.URL = "localhost:8080" }, "--url"},
		"concurrency": {func(c *Config) { c.Concurrency = 0 }, "--concurrency 0: want at least 1"},
		"no api key":  {func(c *Config) { c.Objects.APIKey = "" }, "--api-key are required without --setup"},
		"no client":   {func(c *Config) { c.Flows = []string{loadflow.OIDC} }, "--client-id"},
		"no secret": {func(c *Config) {
			c.Flows, c.Objects.ClientID, c.Objects.RedirectURI = []string{loadflow.OIDC}, "c", "u"
		}, "--client-secret"},
		"no duration":   {func(c *Config) { c.Duration = 0 }, "--duration"},
		"seed":          {func(c *Config) { c.SeedDevices = 5 }, "--seed-devices needs"},
		"origin":        {func(c *Config) { c.Origin = "localhost:3000" }, "--origin"},
		"profile":       {func(c *Config) { c.CPUProfile = "x" }, "--pprof-url"},
		"profile count": {func(c *Config) { c.CPUProfile, c.PprofURL, c.Iterations = "x", "u", 5 }, "needs --duration"},
	} {
		c := good
		tc.change(&c)
		if err := c.Check(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", name, err, tc.want)
		}
	}
	if _, err := ParseFlows([]string{"flex-auth,oidc", "flex-auth"}); err != nil {
		t.Error(err)
	}
	if _, err := ParseFlows([]string{"flex-auth,password"}); err == nil || !strings.Contains(err.Error(), `unknown flow "password"`) {
		t.Errorf("unknown flow: %v", err)
	}
	for in, want := range map[string]Warmup{"2s": {Duration: 2e9}, "100": {Iterations: 100}, "0": {}} {
		if got, err := ParseWarmup(in); err != nil || got != want {
			t.Errorf("warmup %q: %+v %v", in, got, err)
		}
	}
	if _, err := ParseWarmup("soon"); err == nil {
		t.Error("warmup soon: no error")
	}
}

// An unreachable URL is one clear error.
func TestUnreachable(t *testing.T) {
	cfg := Config{URL: "http://127.0.0.1:1", Flows: []string{loadflow.FlexAuth}, Concurrency: 1, Iterations: 1,
		Objects: Objects{AppID: "a", APIKey: "k"}}
	_, err := Run(t.Context(), cfg)
	if err == nil || !strings.HasPrefix(err.Error(), "passbridge at http://127.0.0.1:1 is not reachable: ") || strings.Contains(err.Error(), "\n") {
		t.Fatalf("%v", err)
	}
}

// The progress line is rewritten in place on a terminal, and written as
// lines otherwise.
func TestProgress(t *testing.T) {
	for _, tty := range []bool{true, false} {
		var buf bytes.Buffer
		p := newProgress(&buf, tty)
		n := 0
		stop := p.track(func() string { return "phase: " + strings.Repeat("x", n) })
		p.set(func() { n = 3 })
		stop()
		out := buf.String()
		if tty && out != "\r\x1b[Kphase: xxx\n" || !tty && out != "phase: xxx\n" {
			t.Errorf("tty %v: %q", tty, out)
		}
	}
}
