package cachestore_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/passbridge/passbridge/storage"
	"github.com/passbridge/passbridge/storage/cachestore"
	"github.com/passbridge/passbridge/storage/sqlstore"
	"github.com/passbridge/passbridge/storage/sqlstore/sqlstoretest"
)

func TestReadsWithinTTLStayInMemory(t *testing.T) {
	forEachEngine(t, func(t *testing.T, st *sqlstore.Store) {
		f := newFixture(t, st, cachestore.Config{})
		app := mustCreate(t, f.cache, "A")
		for range 5 {
			mustGet(t, f.cache, app.ID)
			if _, err := f.cache.ListApps(t.Context()); err != nil {
				t.Fatal(err)
			}
		}
		f.clock.Advance(cachestore.DefaultTTL - time.Millisecond)
		mustGet(t, f.cache, app.ID)
		if _, err := f.cache.ListApps(t.Context()); err != nil {
			t.Fatal(err)
		}
		if g, l := f.count.getApp.Load(), f.count.listApps.Load(); g != 1 || l != 1 {
			t.Fatalf("store reached %d times by GetApp, %d by ListApps; want once each", g, l)
		}
		// An unknown ID is remembered as unknown.
		for range 3 {
			if _, err := f.cache.GetApp(t.Context(), "nope"); !errors.Is(err, storage.ErrNotFound) {
				t.Fatalf("unknown app: %v, want ErrNotFound", err)
			}
		}
		if g := f.count.getApp.Load(); g != 2 {
			t.Fatalf("store reached %d times, want 2", g)
		}
	})
}

func TestWritesThroughTheCacheAreSeenAtOnce(t *testing.T) {
	forEachEngine(t, func(t *testing.T, st *sqlstore.Store) {
		ctx := t.Context()
		f := newFixture(t, st, cachestore.Config{})
		app := mustCreate(t, f.cache, "A")
		mustGet(t, f.cache, app.ID)
		if _, err := f.cache.ListApps(ctx); err != nil {
			t.Fatal(err)
		}

		if _, err := f.cache.UpdateApp(ctx, app.ID, rename("B")); err != nil {
			t.Fatal(err)
		}
		if got := mustGet(t, f.cache, app.ID).Name; got != "B" {
			t.Fatalf("after UpdateApp: name %q, want B", got)
		}
		apps, err := f.cache.ListApps(ctx)
		if err != nil || len(apps) != 1 || apps[0].Name != "B" {
			t.Fatalf("ListApps after UpdateApp: %v, %v", apps, err)
		}

		// An ID remembered as unknown is found once created.
		second := newApp("C")
		if _, err := f.cache.GetApp(ctx, second.ID); !errors.Is(err, storage.ErrNotFound) {
			t.Fatalf("not yet created: %v", err)
		}
		if err := f.cache.CreateApp(ctx, second); err != nil {
			t.Fatal(err)
		}
		mustGet(t, f.cache, second.ID)
		if apps, _ := f.cache.ListApps(ctx); len(apps) != 2 {
			t.Fatalf("ListApps after CreateApp: %d apps, want 2", len(apps))
		}

		if err := f.cache.DeleteApp(ctx, second.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := f.cache.GetApp(ctx, second.ID); !errors.Is(err, storage.ErrNotFound) {
			t.Fatalf("after DeleteApp: %v, want ErrNotFound", err)
		}

		// Inside a transaction: reads see the transaction's writes; the
		// cache sees them once it commits, and not a rolled-back one.
		err = f.cache.InTx(ctx, func(tx storage.Store) error {
			if _, err := tx.UpdateApp(ctx, app.ID, rename("D")); err != nil {
				return err
			}
			return tx.InTx(ctx, func(tx storage.Store) error {
				if got := mustGet(t, tx, app.ID).Name; got != "D" {
					t.Errorf("inside the transaction: name %q, want D", got)
				}
				return tx.CreateApp(ctx, newApp("E"))
			})
		})
		if err != nil {
			t.Fatal(err)
		}
		if got := mustGet(t, f.cache, app.ID).Name; got != "D" {
			t.Fatalf("after InTx: name %q, want D", got)
		}
		if apps, _ := f.cache.ListApps(ctx); len(apps) != 2 {
			t.Fatalf("ListApps after InTx: %d apps, want 2", len(apps))
		}
		errRollback := errors.New("roll back")
		err = f.cache.InTx(ctx, func(tx storage.Store) error {
			if _, err := tx.UpdateApp(ctx, app.ID, rename("F")); err != nil {
				return err
			}
			return errRollback
		})
		if !errors.Is(err, errRollback) {
			t.Fatalf("InTx: %v", err)
		}
		if got := mustGet(t, f.cache, app.ID).Name; got != "D" {
			t.Fatalf("after a rolled-back InTx: name %q, want D", got)
		}
	})
}

// A change made another way (the CLI on the database, another instance) is
// seen within TTL, and not before: that is the documented bound.
func TestOtherWritersAreSeenAfterTTL(t *testing.T) {
	forEachEngine(t, func(t *testing.T, st *sqlstore.Store) {
		ctx := t.Context()
		f := newFixture(t, st, cachestore.Config{TTL: 3 * time.Second})
		other := cachestore.New(st, cachestore.Config{Now: f.clock.Now})
		app := mustCreate(t, f.cache, "A")
		gone := mustCreate(t, f.cache, "Gone")
		mustGet(t, f.cache, app.ID)
		mustGet(t, f.cache, gone.ID)
		if _, err := f.cache.ListApps(ctx); err != nil {
			t.Fatal(err)
		}

		if _, err := f.inner.UpdateApp(ctx, app.ID, rename("B")); err != nil {
			t.Fatal(err)
		}
		if err := other.DeleteApp(ctx, gone.ID); err != nil {
			t.Fatal(err)
		}
		f.clock.Advance(3*time.Second - time.Millisecond)
		if got := mustGet(t, f.cache, app.ID).Name; got != "A" {
			t.Fatalf("within TTL: name %q, want the remembered A", got)
		}
		mustGet(t, f.cache, gone.ID)

		f.clock.Advance(time.Millisecond)
		if got := mustGet(t, f.cache, app.ID).Name; got != "B" {
			t.Fatalf("after TTL: name %q, want B", got)
		}
		if _, err := f.cache.GetApp(ctx, gone.ID); !errors.Is(err, storage.ErrNotFound) {
			t.Fatalf("deleted by another instance, after TTL: %v, want ErrNotFound", err)
		}
		apps, err := f.cache.ListApps(ctx)
		if err != nil || len(apps) != 1 || apps[0].Name != "B" {
			t.Fatalf("ListApps after TTL: %v, %v", apps, err)
		}

		// An ID remembered as unknown is found after TTL once another
		// instance created it.
		late := newApp("Late")
		if _, err := f.cache.GetApp(ctx, late.ID); !errors.Is(err, storage.ErrNotFound) {
			t.Fatalf("not yet created: %v", err)
		}
		if err := other.CreateApp(ctx, late); err != nil {
			t.Fatal(err)
		}
		f.clock.Advance(3 * time.Second)
		mustGet(t, f.cache, late.ID)
	})
}

func TestConcurrentMissesShareOneRead(t *testing.T) {
	forEachEngine(t, func(t *testing.T, st *sqlstore.Store) {
		ctx := t.Context()
		f := newFixture(t, st, cachestore.Config{})
		app := mustCreate(t, st, "A")
		unknown := storage.NewID()
		f.count.gate = make(chan struct{})

		const n = 100
		var wg sync.WaitGroup
		errs := make(chan error, 3*n)
		for range n {
			wg.Go(func() {
				if got, err := f.cache.GetApp(ctx, app.ID); err != nil || got.Name != "A" {
					errs <- fmt.Errorf("GetApp: %v, %v", got, err)
				}
			})
			wg.Go(func() {
				if _, err := f.cache.GetApp(ctx, unknown); !errors.Is(err, storage.ErrNotFound) {
					errs <- fmt.Errorf("GetApp of an unknown ID: %v", err)
				}
			})
			wg.Go(func() {
				if apps, err := f.cache.ListApps(ctx); err != nil || len(apps) != 1 {
					errs <- fmt.Errorf("ListApps: %v, %v", apps, err)
				}
			})
		}
		// Hold the reads until the first of each kind is waiting, so that
		// the others arrive while it is under way.
		for f.count.getApp.Load() < 2 || f.count.listApps.Load() < 1 {
			time.Sleep(time.Millisecond)
		}
		time.Sleep(20 * time.Millisecond)
		close(f.count.gate)
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		if g, l := f.count.getApp.Load(), f.count.listApps.Load(); g != 2 || l != 1 {
			t.Fatalf("%d concurrent misses of two IDs reached the store %d times, of the list %d times; want 2 and 1", n, g, l)
		}
	})
}

// A caller that gives up does not fail the others waiting for the same read.
func TestCancelledCallerLeavesTheReadToOthers(t *testing.T) {
	st := sqlstoretest.Open(t, sqlstoretest.SQLite)
	f := newFixture(t, st, cachestore.Config{})
	app := mustCreate(t, st, "A")
	f.count.gate = make(chan struct{})

	ctx, cancel := context.WithCancel(t.Context())
	first := make(chan error, 1)
	go func() {
		_, err := f.cache.GetApp(ctx, app.ID)
		first <- err
	}()
	for f.count.getApp.Load() < 1 {
		time.Sleep(time.Millisecond)
	}
	second := make(chan error, 1)
	go func() {
		_, err := f.cache.GetApp(t.Context(), app.ID)
		second <- err
	}()
	cancel()
	if err := <-first; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled caller: %v, want context.Canceled", err)
	}
	close(f.count.gate)
	if err := <-second; err != nil {
		t.Fatalf("the other caller: %v", err)
	}
	if g := f.count.getApp.Load(); g != 1 {
		t.Fatalf("store reached %d times, want once", g)
	}
}

// However many unknown IDs a client sends, the set remembering them stays
// within its bound.
func TestUnknownIDsAreBounded(t *testing.T) {
	forEachEngine(t, func(t *testing.T, st *sqlstore.Store) {
		ctx := t.Context()
		f := newFixture(t, st, cachestore.Config{MaxNegative: 50})
		app := mustCreate(t, f.cache, "A")
		mustGet(t, f.cache, app.ID)
		for i := range 1000 {
			if _, err := f.cache.GetApp(ctx, storage.NewID()); !errors.Is(err, storage.ErrNotFound) {
				t.Fatalf("unknown app: %v", err)
			}
			if apps, missing := f.cache.Remembered(storage.ChangeApp); missing > 50 || apps != 1 {
				t.Fatalf("after %d unknown IDs: %d apps and %d unknown IDs remembered; want 1 and at most 50", i+1, apps, missing)
			}
		}
		// The known app is still served from memory.
		before := f.count.getApp.Load()
		mustGet(t, f.cache, app.ID)
		if f.count.getApp.Load() != before {
			t.Fatal("the known app was forgotten")
		}
	})
}

func TestErrorsAreNotRemembered(t *testing.T) {
	forEachEngine(t, func(t *testing.T, st *sqlstore.Store) {
		ctx := t.Context()
		f := newFixture(t, st, cachestore.Config{})
		app := mustCreate(t, st, "A")
		f.count.down.Store(true)
		for range 2 {
			if _, err := f.cache.GetApp(ctx, app.ID); !errors.Is(err, storage.ErrUnavailable) {
				t.Fatalf("GetApp with the database down: %v, want ErrUnavailable", err)
			}
			if _, err := f.cache.ListApps(ctx); !errors.Is(err, storage.ErrUnavailable) {
				t.Fatalf("ListApps with the database down: %v, want ErrUnavailable", err)
			}
		}
		f.count.down.Store(false)
		if got := mustGet(t, f.cache, app.ID); got.Name != "A" {
			t.Fatalf("GetApp once the database is back: %v", got)
		}
		if apps, err := f.cache.ListApps(ctx); err != nil || len(apps) != 1 {
			t.Fatalf("ListApps once the database is back: %v, %v", apps, err)
		}
		if g, l := f.count.getApp.Load(), f.count.listApps.Load(); g != 3 || l != 3 {
			t.Fatalf("store reached %d times by GetApp, %d by ListApps; want 3 each", g, l)
		}
	})
}

// What a caller gets is its own copy.
func TestCallersGetCopies(t *testing.T) {
	st := sqlstoretest.Open(t, sqlstoretest.SQLite)
	f := newFixture(t, st, cachestore.Config{})
	app := mustCreate(t, f.cache, "A")
	got := mustGet(t, f.cache, app.ID)
	got.Origins[0] = "https://evil.example"
	apps, err := f.cache.ListApps(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	apps[0].Origins[0] = "https://evil.example"
	apps, _ = f.cache.ListApps(t.Context())
	if again := mustGet(t, f.cache, app.ID); !slices.Equal(again.Origins, app.Origins) || !slices.Equal(apps[0].Origins, app.Origins) {
		t.Fatalf("a caller changed the remembered app: %v, %v", again.Origins, apps[0].Origins)
	}
}
