package chaos

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/passbridge/passbridge/provider/loadflow"
	"github.com/passbridge/passbridge/storage/sqlstore/sqlstoretest"
)

// outageAnswer reports whether err is an answer passbridge may give while
// its database is away: 503 store_unavailable on its APIs, 503
// temporarily_unavailable (or server_error) on the OAuth endpoints and as
// an error redirect to the client, the login page's plain 503 page.
func outageAnswer(err error) bool {
	var se *loadflow.StepError
	if !errors.As(err, &se) {
		return false
	}
	if errors.Is(se.Err, errNoRefreshToken) {
		// No sign-in succeeds during an outage, so none issues a refresh
		// token for the refresher; outside one this is still a failure.
		return true
	}
	switch se.Code {
	case "store_unavailable", "temporarily_unavailable", "server_error":
		return se.Status == 503 || se.Status == 0 && se.Step == "callback"
	case "":
		return se.Status == 503
	}
	return false
}

// outage is one fault of the database.
type outage struct{ from, to time.Time }

// checkOutages checks a load through database outages: each failure is an
// outage answer to an iteration under way during an outage (or within
// recoveryBound after it); no answer took longer than limit. It returns the
// time from each outage's end to the first iteration that started after it
// and succeeded, and the slowest answer.
func checkOutages(t *testing.T, w *World, res Result, outages []outage, limit time.Duration) (back []time.Duration, slowest time.Duration) {
	t.Helper()
	slowest, req := w.Watch.Slowest()
	if slowest > limit {
		t.Errorf("an answer took %s during a database outage (%s), over %s", ms(slowest), req, limit)
	}
	for _, it := range res.Failed() {
		during := false
		for _, o := range outages {
			if it.End.After(o.from) && it.Start.Before(o.to.Add(recoveryBound)) {
				during = true
			}
		}
		switch {
		case !outageAnswer(it.Err):
			t.Errorf("an iteration failed with an answer not allowed during an outage: %s: %v", it.Flow, it.Err)
		case !during:
			t.Errorf("an iteration failed outside an outage: %s at %s: %v", it.Flow, it.Start.Format(time.TimeOnly), it.Err)
		}
	}
	errs, leaked := w.Watch.Take()
	for k, n := range errs {
		if !strings.Contains(k, " 503") {
			t.Errorf("%d× %s from a server during an outage: only 503 is allowed", n, k)
		}
	}
	for _, l := range leaked {
		t.Errorf("driver text reached a client: %s", l)
	}
	for _, o := range outages {
		first := time.Time{}
		for _, it := range res.Iterations {
			if it.Err == nil && !it.Start.Before(o.to) && (first.IsZero() || it.End.Before(first)) {
				first = it.End
			}
		}
		if first.IsZero() {
			t.Errorf("no iteration succeeded after the outage ending %s", o.to.Format(time.TimeOnly))
			continue
		}
		d := first.Sub(o.to)
		if d > recoveryBound {
			t.Errorf("service came back %s after the outage, over %s", ms(d), recoveryBound)
		}
		back = append(back, d)
	}
	return back, slowest
}

// testCut cuts every connection between the instances and PostgreSQL
// under load, refusing new ones for a while, then lets them through.
func testCut(t *testing.T, w *World, cut *sqlstoretest.NetProxy, load *Load, p profile, tab *Table) {
	ctx := t.Context()
	w.Ledger.Reset()
	w.Watch.Take()
	load.Start(ctx)
	var (
		outages []outage
		conns   int
		ready   []time.Duration
	)
	for range p.Cuts {
		time.Sleep(time.Second)
		o := outage{from: time.Now()}
		conns += cut.Cut()
		time.Sleep(p.CutRefuse)
		cut.Heal()
		o.to = time.Now()
		d, err := w.AllReady(ctx, recoveryBound)
		if err != nil {
			t.Error(err)
		}
		ready = append(ready, d)
		outages = append(outages, o)
	}
	time.Sleep(3 * time.Second)
	res := load.Stop()
	back, slowest := checkOutages(t, w, res, outages, RequestTimeout)
	lost, double := checkStore(t, w)
	during := 0
	for _, it := range res.Failed() {
		if outageAnswer(it.Err) {
			during++
		}
	}
	t.Logf("cut %d connections in %d cuts; %d iterations failed with an outage answer", conns, len(outages), during)
	tab.Add(Row{Scenario: "PostgreSQL connections cut (TCP proxy), 3 instances", Iterations: res.OK(), Rate: res.Rate(),
		Faults: fmt.Sprintf("%d× every connection cut (%d in all) and new ones refused for %s", len(outages), conns, p.CutRefuse),
		Failed: len(res.Failed()), Why: whyOr(res, "503 during the outage"), Lost: lost, Double: double,
		Recovery: "slowest answer " + ms(slowest) + "; all /readyz 200 " + msList(ready) + " after the database was back; first sign-in after it " + msList(back)})
}

// testPostgresRestart restarts a private PostgreSQL cluster under load: a
// clean restart (fast) and, in the long form, crashes (immediate).
func testPostgresRestart(t *testing.T, p profile, tab *Table) {
	ctx := t.Context()
	c := NewCluster(t)
	w := NewWorld(ctx, t, WorldConfig{Engine: "postgres", DatabaseURL: c.DSN(), Instances: 1})
	load := w.NewLoad(ctx, t, w.Objects, p.UsersPerFlow, p.Workers, "restart")
	load.Start(ctx)
	var (
		outages []outage
		ready   []time.Duration
		modes   []string
	)
	for i := range p.Restarts {
		time.Sleep(time.Second)
		mode := "fast"
		if i%2 == 1 {
			mode = "immediate"
		}
		o := outage{from: time.Now()}
		if err := c.Stop(mode); err != nil {
			t.Fatal(err)
		}
		time.Sleep(2 * time.Second)
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		o.to = time.Now()
		d, err := w.AllReady(ctx, recoveryBound)
		if err != nil {
			t.Error(err)
		}
		ready = append(ready, d)
		outages = append(outages, o)
		modes = append(modes, mode)
	}
	time.Sleep(3 * time.Second)
	res := load.Stop()
	back, slowest := checkOutages(t, w, res, outages, RequestTimeout)
	lost, double := checkStore(t, w)
	tab.Add(Row{Scenario: "PostgreSQL restart (private cluster), 1 instance", Iterations: res.OK(), Rate: res.Rate(),
		Faults: fmt.Sprintf("%d× pg_ctl stop (%s), down 2 s, start", len(outages), strings.Join(modes, ", ")),
		Failed: len(res.Failed()), Why: whyOr(res, "503 during the outage"), Lost: lost, Double: double,
		Recovery: "slowest answer " + ms(slowest) + "; /readyz 200 " + msList(ready) + " after PostgreSQL was back; first sign-in after it " + msList(back)})
}

// testStall holds every byte between the instances and PostgreSQL (a
// database that stops answering without closing anything) under load:
// requests must be answered 503 once the request timeout passes, never
// hang, and service must come back by itself once the bytes flow again.
func testStall(t *testing.T, w *World, cut *sqlstoretest.NetProxy, load *Load, p profile, tab *Table) {
	if !*long {
		t.Skip("the stalled database runs in the long form only (make chaos)")
	}
	if w.Cfg.RequestTimeout == "" {
		t.Skip("this passbridge has no --request-timeout: the stalled database is skipped")
	}
	timeout, err := time.ParseDuration(w.Cfg.RequestTimeout)
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	w.Ledger.Reset()
	w.Watch.Take()
	load.Start(ctx)
	var (
		outages []outage
		ready   []time.Duration
	)
	for range p.Cuts {
		time.Sleep(time.Second)
		o := outage{from: time.Now()}
		cut.Stall(0)
		time.Sleep(p.CutRefuse + timeout)
		cut.Heal()
		o.to = time.Now()
		d, err := w.AllReady(ctx, recoveryBound)
		if err != nil {
			t.Error(err)
		}
		ready = append(ready, d)
		outages = append(outages, o)
	}
	time.Sleep(3 * time.Second)
	res := load.Stop()
	// An answer waits for the store at most the request timeout.
	back, slowest := checkOutages(t, w, res, outages, timeout+time.Second)
	lost, double := checkStore(t, w)
	tab.Add(Row{Scenario: "PostgreSQL stalls (TCP proxy holds every byte), 3 instances, --request-timeout " + w.Cfg.RequestTimeout,
		Iterations: res.OK(), Rate: res.Rate(),
		Faults: fmt.Sprintf("%d× every connection and new ones held for %s", len(outages), p.CutRefuse+timeout),
		Failed: len(res.Failed()), Why: whyOr(res, "503 after the request timeout"), Lost: lost, Double: double,
		Recovery: "slowest answer " + ms(slowest) + "; all /readyz 200 " + msList(ready) + " after the database answered again; first sign-in after it " + msList(back)})
}
