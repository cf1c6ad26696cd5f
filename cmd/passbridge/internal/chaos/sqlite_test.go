package chaos

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/passbridge/passbridge/storage/sqlstore/sqlstoretest"
)

// testSQLiteKill SIGKILLs the single instance on SQLite under load and
// starts it again: the database must pass PRAGMA integrity_check and hold
// every acknowledged registration. While it is down, every request fails
// (there is no other instance); nothing else may.
func testSQLiteKill(t *testing.T, p profile, tab *Table) {
	ctx := t.Context()
	w := NewWorld(ctx, t, WorldConfig{Engine: sqlstoretest.SQLite, DatabaseURL: sqlstoretest.URL(t, sqlstoretest.SQLite), Instances: 1})
	load := w.NewLoad(ctx, t, w.Objects, p.UsersPerFlow, p.Workers, "sqlite")
	in := w.Instances[0]
	load.Start(ctx)
	var kills []kill
	slot := p.SQLiteLoad / time.Duration(p.SQLiteKills)
	for range p.SQLiteKills {
		time.Sleep(slot/4 + rand.N(slot/4))
		k := kill{at: time.Now()}
		in.Kill()
		k.dead = time.Now()
		w.Proxy.ForgetIdle()
		time.Sleep(500 * time.Millisecond)
		startup, err := in.Start(ctx)
		if err != nil {
			t.Fatalf("restart after kill -9: %v", err)
		}
		k.ready, k.startup = time.Since(k.at), startup
		kills = append(kills, k)
	}
	time.Sleep(slot / 4)
	res := load.Stop()
	for _, it := range res.Failed() {
		down := false
		for _, k := range kills {
			if it.End.After(k.at) && it.Start.Before(k.at.Add(k.ready)) {
				down = true
			}
		}
		if !down || !strings.Contains(Reason(it.Err), LostCode) {
			t.Errorf("an iteration failed outside the kill's window, or not for the kill: %s at %s: %v", it.Flow,
				it.Start.Format(time.TimeOnly), it.Err)
		}
	}
	errs, leaked := w.Watch.Take()
	for k, n := range errs {
		t.Errorf("%d× %s from the server", n, k)
	}
	for _, l := range leaked {
		t.Errorf("driver text reached a client: %s", l)
	}
	var check string
	if err := w.DB.QueryRowContext(ctx, "PRAGMA integrity_check").Scan(&check); err != nil {
		t.Fatal(err)
	}
	if check != "ok" {
		t.Errorf("PRAGMA integrity_check after kill -9: %s", check)
	}
	lost, double := checkStore(t, w)
	var startups []time.Duration
	for _, k := range kills {
		startups = append(startups, k.startup)
	}
	tab.Add(Row{Scenario: "kill -9 under load (1 instance, SQLite)", Iterations: res.OK(), Rate: res.Rate(),
		Faults: fmt.Sprintf("%d× SIGKILL, restarted 0.5 s later", len(kills)),
		Failed: len(res.Failed()), Why: whyOr(res, "the only instance down"), Lost: lost, Double: double,
		Recovery: "ready (/readyz 200) " + msList(startups) + " after its restart; integrity_check " + check})
}
