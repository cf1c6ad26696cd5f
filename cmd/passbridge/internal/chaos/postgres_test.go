package chaos

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/passbridge/passbridge/storage/sqlstore/sqlstoretest"
)

// Bounds passbridge documents (README, Design): a signing-key rotation
// reaches every instance within 30 s (signing.DefaultRefreshEvery, read
// lazily on the next use); an admin change within milliseconds through
// NOTIFY, 5 s at most (the cache's TTL).
const (
	rotationBound    = 30 * time.Second
	adminChangeBound = 5 * time.Second
	// recoveryBound is how soon service must be back after a fault ends.
	recoveryBound = 10 * time.Second
)

// testPostgres runs the scenarios on three instances sharing one
// PostgreSQL schema, reached through a sqlstoretest.NetProxy: several instances with
// each ceremony spread over them, kill -9, a cut connection, a stalled
// database, bad input.
func testPostgres(t *testing.T, p profile, tab *Table) {
	ctx := t.Context()
	dsn := sqlstoretest.URL(t, sqlstoretest.Postgres)
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	cut := sqlstoretest.NewNetProxy(t, u.Host)
	w := NewWorld(ctx, t, WorldConfig{Engine: "postgres", DatabaseURL: dsn, Via: cut.Addr, Instances: 3, RequestTimeout: "2s"})
	w.Proxy.SetPin(SpreadPin)
	load := w.NewLoad(ctx, t, w.Objects, p.UsersPerFlow, p.Workers, "chaos")

	var rotation <-chan rotationResult
	t.Run("several-instances", func(t *testing.T) {
		rotation = startRotation(ctx, t, w)
		testSpread(t, w, load, p, tab)
	})
	t.Run("kill9", func(t *testing.T) { testKill(t, w, load, p, tab) })
	// The rotation is awaited before the database faults: an instance
	// whose keys are due for a reading while the database is away keeps
	// the ones it has for another 30 s.
	t.Run("rotation", func(t *testing.T) {
		if rotation == nil {
			t.Skip("the rotation did not start")
		}
		r := <-rotation
		if r.err != nil {
			t.Fatal(r.err)
		}
		worst := time.Duration(0)
		for _, d := range r.pickedUp {
			worst = max(worst, d)
		}
		t.Logf("rotation to %s picked up by A, B, C after %s (bound %s)", r.kid, msList(r.pickedUp), rotationBound)
		if worst > rotationBound+2*time.Second {
			t.Errorf("an instance signed with the old key %s after the rotation, over the bound of %s", ms(worst), rotationBound)
		}
		tab.Add(Row{Scenario: "signing-key rotation (keys rotate on the shared store, 3 instances under load)", Faults: "1 rotation",
			Recovery: "new key signing on A, B, C after " + msList(r.pickedUp) + " (bound 30 s)"})
	})
	t.Run("connection-cut", func(t *testing.T) { testCut(t, w, cut, load, p, tab) })
	t.Run("stall", func(t *testing.T) { testStall(t, w, cut, load, p, tab) })
	t.Run("bad-input", func(t *testing.T) { testBadInput(t, w, load, p, tab) })
}

type rotationResult struct {
	kid      string
	pickedUp []time.Duration
	err      error
}

// startRotation rotates the signing keys with the CLI on the shared store
// and watches each instance's JWKS until the new active key leads it.
func startRotation(ctx context.Context, t *testing.T, w *World) <-chan rotationResult {
	t.Helper()
	before, err := activeKID(ctx, w.Instances[0].URL())
	if err != nil {
		t.Fatal(err)
	}
	out, err := w.CLI(ctx, "keys", "rotate", "--force", "--json")
	if err != nil {
		t.Fatal(err)
	}
	at := time.Now()
	var r struct {
		Active string `json:"active_key_id"`
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil || r.Active == "" || r.Active == before {
		t.Fatalf("keys rotate: %v: %s (active before: %s)", err, out, before)
	}
	ch := make(chan rotationResult, 1)
	go func() {
		// Every instance is polled in turn, so that each one's time is its
		// own: the keys are read again on the first use 30 s after the
		// last reading.
		res := rotationResult{kid: r.Active, pickedUp: make([]time.Duration, len(w.Instances))}
		_, err := until(ctx, rotationBound+5*time.Second, func() bool {
			all := true
			for i, in := range w.Instances {
				if res.pickedUp[i] > 0 {
					continue
				}
				if kid, err := activeKID(ctx, in.URL()); err == nil && kid == r.Active {
					res.pickedUp[i] = time.Since(at)
				} else {
					all = false
				}
			}
			return all
		})
		if err != nil {
			res.err = fmt.Errorf("the rotated key %s not active everywhere: %v (picked up after %v)", r.Active, err, res.pickedUp)
		}
		ch <- res
	}()
	return ch
}

// testSpread runs every flow with each step pinned to another instance:
// every iteration must succeed. Then an API key revoked and a client
// deleted on A must be refused by B and C within the cache's bound.
func testSpread(t *testing.T, w *World, load *Load, p profile, tab *Table) {
	ctx := t.Context()
	w.Ledger.Reset()
	w.Proxy.ResetServed()
	res := load.RunFor(ctx, p.Spread)
	if f := res.Failed(); len(f) > 0 {
		t.Errorf("%d of %d iterations failed: %s", len(f), len(res.Iterations), strings.Join(ReasonList(res.Reasons()), "; "))
	}
	for _, name := range append([]string{RefreshFlow}, AllFlows...) {
		if res.Flows()[name] == 0 {
			t.Errorf("flow %s: no iteration succeeded", name)
		}
	}
	// Each pinned step was answered by its instance only: the ceremonies
	// did begin on one and finish on another.
	served := w.Proxy.Served()
	for step, pin := range SpreadPin {
		counts := served[step]
		for i, n := range counts {
			if i != pin && n > 0 {
				t.Errorf("step %s: %d requests answered by instance %d, pinned to %d", step, n, i, pin)
			}
		}
	}
	for _, step := range []string{"create_transaction", "authenticate_start", "authenticate_finish", "verify_nonce", "authorize", "login_complete", "token", RefreshStep} {
		if len(served[step]) == 0 {
			t.Errorf("step %s never ran", step)
		}
	}
	t.Logf("served per step and instance: %v", served)
	lost, double := checkStore(t, w)
	revoke, del := adminChanges(t, w)
	tab.Add(Row{Scenario: "3 instances, one PostgreSQL, every step on another instance", Iterations: res.OK(), Rate: res.Rate(),
		Faults: "none (spread: begin A / finish B / verify C; authorize A / login B / token C)", Failed: len(res.Failed()),
		Why: strings.Join(ReasonList(res.Reasons()), "; "), Lost: lost, Double: double,
		Recovery: "API key revoked on A refused by A, B, C after " + msList(revoke) + "; client deleted on A refused after " + msList(del) + " (bound 5 s)"})
}

// checkStore checks the ledger against the store: every acknowledged
// registration is there, and no nonce or code spent can be spent again.
func checkStore(t *testing.T, w *World) (lost, double int) {
	t.Helper()
	ctx := t.Context()
	missing, err := w.Missing(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(missing) > 0 {
		t.Errorf("%d of %d acknowledged registrations are not in the store: %v", len(missing), w.Ledger.Acked(), missing[:min(5, len(missing))])
	}
	spent, double := w.Respend(ctx, t)
	if double > 0 {
		t.Errorf("%d double spends (spent: %v)", double, spent)
	}
	if w.Ledger.Acked() == 0 || spent["nonce"] == 0 || spent["code"] == 0 || spent["refresh"] == 0 {
		t.Errorf("nothing to check: %d registrations acknowledged, spent %v", w.Ledger.Acked(), spent)
	}
	t.Logf("%d acknowledged registrations all in the store; %v spent, none accepted again", w.Ledger.Acked(), spent)
	return len(missing), double
}

// adminChanges revokes an API key and deletes a client through instance
// A, both in use on every instance, and measures when each instance
// refuses them.
func adminChanges(t *testing.T, w *World) (revoke, del []time.Duration) {
	t.Helper()
	ctx := t.Context()
	a := w.Instances[0].URL()
	var key struct {
		ID  string `json:"id"`
		Key string `json:"key"`
	}
	if err := adminJSON(ctx, a, w.AdminKey, "POST", "/apps/"+w.Objects.AppID+"/api-keys", map[string]string{"name": "revoked"}, &key); err != nil {
		t.Fatal(err)
	}
	var client struct {
		ID     string `json:"client_id"`
		Secret string `json:"client_secret"`
	}
	if err := adminJSON(ctx, a, w.AdminKey, "POST", "/apps/"+w.Objects.AppID+"/clients",
		map[string]any{"name": "deleted", "redirect_uris": []string{"http://127.0.0.1/cb"}}, &client); err != nil {
		t.Fatal(err)
	}
	useKey := func(base string) int {
		st, _, _ := call(ctx, "GET", base, "/v1/apps/"+w.Objects.AppID+"/users?identifier=nobody", "", nil, bearer(key.Key))
		return st
	}
	useClient := func(base string) int {
		st, _, _ := call(ctx, "POST", base, "/oauth/introspect", "application/x-www-form-urlencoded", []byte("token=nothing"),
			basic(client.ID, client.Secret))
		return st
	}
	// In use everywhere: each instance's cache holds them.
	for _, in := range w.Instances {
		if st := useKey(in.URL()); st != http.StatusOK {
			t.Fatalf("the new API key on %s: %d", in.Name, st)
		}
		if st := useClient(in.URL()); st != http.StatusOK {
			t.Fatalf("the new client on %s: %d", in.Name, st)
		}
	}
	// Refused: the key with 401; the client with 401 invalid_client or, as
	// zitadel's op answers introspection, 400 unauthorized_client.
	refused := func(st int) bool { return st == http.StatusUnauthorized || st == http.StatusBadRequest }
	measure := func(change func() error, use func(string) int) []time.Duration {
		if err := change(); err != nil {
			t.Fatal(err)
		}
		at := time.Now()
		out := make([]time.Duration, len(w.Instances))
		last := make([]int, len(w.Instances))
		_, err := until(ctx, adminChangeBound+time.Second, func() bool {
			all := true
			for i, in := range w.Instances {
				if out[i] > 0 {
					continue
				}
				if last[i] = use(in.URL()); refused(last[i]) {
					out[i] = time.Since(at)
				} else {
					all = false
				}
			}
			return all
		})
		if err != nil {
			t.Errorf("still accepted %s after the change: answers of A, B, C: %v", time.Since(at).Round(time.Millisecond), last)
		}
		return out
	}
	revoke = measure(func() error {
		return adminJSON(ctx, a, w.AdminKey, "DELETE", "/apps/"+w.Objects.AppID+"/api-keys/"+key.ID, nil, nil)
	}, useKey)
	del = measure(func() error {
		return adminJSON(ctx, a, w.AdminKey, "DELETE", "/apps/"+w.Objects.AppID+"/clients/"+client.ID, nil, nil)
	}, useClient)
	for _, d := range append(append([]time.Duration(nil), revoke...), del...) {
		if d > adminChangeBound {
			t.Errorf("an admin change took %s to reach every instance, over %s", ms(d), adminChangeBound)
		}
	}
	return revoke, del
}

type kill struct {
	instance int
	at, dead time.Time
	inflight int64
	ready    time.Duration // from the kill to /readyz 200 after the restart
	startup  time.Duration // from the restart to /readyz 200
}

// testKill SIGKILLs a random instance at random moments under load and
// starts it again, as a supervisor would. Only requests in flight on the
// killed instance may fail.
func testKill(t *testing.T, w *World, load *Load, p profile, tab *Table) {
	ctx := t.Context()
	w.Ledger.Reset()
	w.Proxy.ResetServed()
	w.Watch.Take()
	lossesBefore := len(w.Proxy.Losses())
	w.Proxy.SetPin(nil) // round robin: every instance has requests in flight
	defer w.Proxy.SetPin(SpreadPin)
	load.Start(ctx)
	var kills []kill
	slot := p.KillLoad / time.Duration(p.Kills)
	for range p.Kills {
		time.Sleep(slot/4 + rand.N(slot/4))
		i := rand.N(len(w.Instances))
		k := kill{instance: i, inflight: w.Proxy.Inflight(i), at: time.Now()}
		w.Instances[i].Kill()
		k.dead = time.Now()
		w.Proxy.ForgetIdle()
		time.Sleep(slot / 4) // the others carry the load meanwhile
		startup, err := w.Instances[i].Start(ctx)
		if err != nil {
			t.Fatalf("restart %s after kill -9: %v", w.Instances[i].Name, err)
		}
		k.ready, k.startup = time.Since(k.at), startup
		kills = append(kills, k)
	}
	time.Sleep(slot / 4)
	res := load.Stop()
	if _, err := w.AllReady(ctx, recoveryBound); err != nil {
		t.Fatal(err)
	}
	// The others carried the load while an instance was down.
	for _, k := range kills {
		if n := res.Between(k.dead, k.at.Add(k.ready)).OK(); n == 0 {
			t.Errorf("no iteration succeeded while instance %s was down", w.Instances[k.instance].Name)
		}
	}
	// Every failure is a request lost in flight on an instance at the
	// moment it was killed.
	var inflight int64
	for _, k := range kills {
		inflight += k.inflight
	}
	losses := w.Proxy.Losses()[lossesBefore:]
	for _, l := range losses {
		ok := false
		for _, k := range kills {
			if l.Backend == k.instance && l.Start.Before(k.dead) && !l.End.Before(k.at) {
				ok = true
			}
		}
		if !ok {
			t.Errorf("a request not in flight on a killed instance was lost: %+v", l)
		}
	}
	for _, it := range res.Failed() {
		if !strings.Contains(Reason(it.Err), LostCode) {
			t.Errorf("an iteration failed for another reason than a request lost in flight: %s: %v", it.Flow, it.Err)
		}
	}
	if got := len(res.Failed()); got > len(losses) {
		t.Errorf("%d iterations failed, %d requests lost in flight", got, len(losses))
	}
	errs, leaked := w.Watch.Take()
	for k, n := range errs {
		t.Errorf("%d× %s from a server", n, k)
	}
	for _, l := range leaked {
		t.Errorf("driver text reached a client: %s", l)
	}
	lost, double := checkStore(t, w)
	var startups []time.Duration
	for _, k := range kills {
		startups = append(startups, k.startup)
	}
	t.Logf("kills: %d; in flight at the kills: %d; lost in flight: %d; iterations failed: %d of %d", len(kills), inflight, len(losses),
		len(res.Failed()), len(res.Iterations))
	tab.Add(Row{Scenario: "kill -9 under load (3 instances, PostgreSQL)", Iterations: res.OK(), Rate: res.Rate(),
		Faults: fmt.Sprintf("%d× SIGKILL of a random instance, restarted %s later", len(kills), ms(slot/4)),
		Failed: len(res.Failed()), Why: whyOr(res, "all lost in flight on the killed instance"), Lost: lost, Double: double,
		Recovery: "ready (/readyz 200) " + msList(startups) + " after its restart"})
}

// whyOr lists the failure reasons with a summary.
func whyOr(res Result, summary string) string {
	if len(res.Failed()) == 0 {
		return ""
	}
	return summary + ": " + strings.Join(ReasonList(res.Reasons()), "; ")
}
