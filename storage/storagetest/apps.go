package storagetest

import (
	"testing"
	"time"

	"github.com/passbridge/passbridge/storage"
)

func appTests() []test {
	return []test{
		{"RoundTrip", testAppRoundTrip},
		{"List", testAppList},
		{"Update", testAppUpdate},
		{"NotFound", testAppNotFound},
		{"DuplicateID", testAppDuplicateID},
		{"Delete", testAppDelete},
	}
}

func appKey(a storage.App) (time.Time, string) { return a.CreatedAt, a.ID }

func testAppRoundTrip(t *testing.T, s storage.Store) {
	minimal := storage.App{
		ID:        storage.NewID(),
		Name:      "minimal",
		RPID:      "localhost",
		CreatedAt: odd(0),
		UpdatedAt: odd(0),
	}
	for _, tc := range []struct {
		name string
		app  storage.App
	}{
		{"EveryField", newApp()},
		{"Minimal", minimal},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mustOK(t, s.CreateApp(t.Context(), tc.app), "create app")
			got, err := s.GetApp(t.Context(), tc.app.ID)
			mustOK(t, err, "get app")
			checkSame(t, "App", got, tc.app)
		})
	}
}

func testAppList(t *testing.T, s storage.Store) {
	ctx := t.Context()
	apps := make([]storage.App, 4)
	for i, created := range []time.Time{odd(-time.Hour), odd(-2 * time.Hour), odd(-3 * time.Hour), odd(-2 * time.Hour)} {
		apps[i] = newApp()
		apps[i].CreatedAt = created
		mustOK(t, s.CreateApp(ctx, apps[i]), "create app")
	}
	got, err := s.ListApps(ctx)
	mustOK(t, err, "list apps")
	requireListed(t, "ListApps", got, apps, appKey, false)
}

func changeApp(a storage.App) storage.App {
	a.Name = "renamed ✓"
	a.RPID = "login.shop.example"
	a.RPName = "Shop AG"
	a.Origins = []string{"https://login.shop.example"}
	a.UserVerification = storage.RequirementDiscouraged
	a.Attestation = "none"
	a.ResidentKey = storage.RequirementPreferred
	a.AllowSignup = false
	a.SignCountPolicy = storage.SignCountReject
	a.TransactionTTL = 600 * time.Second
	a.CeremonyTimeout = 60 * time.Second
	a.NonceTTL = 30 * time.Second
	a.UpdatedAt = odd(time.Hour)
	return a
}

func testAppUpdate(t *testing.T, s storage.Store) {
	ctx := t.Context()
	a := mustCreateApp(t, s)
	other := mustCreateApp(t, s)
	update := func(fn func(storage.App) (storage.App, error)) (storage.App, error) {
		return s.UpdateApp(ctx, a.ID, fn)
	}
	get := func() (storage.App, error) { return s.GetApp(ctx, a.ID) }

	requireUpdateRefused(t, "UpdateApp", a, changeApp, update, get)
	changed := requireUpdated(t, "UpdateApp", a, changeApp, update, get)

	// The callback sees the row as the previous update left it.
	requireUpdated(t, "UpdateApp again", changed, func(a storage.App) storage.App {
		a.AllowSignup = true
		a.Origins = nil
		return a
	}, update, get)

	got, err := s.GetApp(ctx, other.ID)
	mustOK(t, err, "get other app")
	checkSame(t, "untouched App", got, other)
}

func testAppNotFound(t *testing.T, s storage.Store) {
	ctx := t.Context()
	mustCreateApp(t, s)
	unknown := storage.NewID()
	_, err := s.GetApp(ctx, unknown)
	requireNotFound(t, err, "get unknown app")
	requireUpdateNotFound(t, "update unknown app", func(fn func(storage.App) (storage.App, error)) (storage.App, error) {
		return s.UpdateApp(ctx, unknown, fn)
	})
	requireNotFound(t, s.DeleteApp(ctx, unknown), "delete unknown app")
}

func testAppDuplicateID(t *testing.T, s storage.Store) {
	ctx := t.Context()
	a := mustCreateApp(t, s)
	dup := newApp()
	dup.ID = a.ID
	dup.Name = "impostor"
	requireAlreadyExists(t, s.CreateApp(ctx, dup), "create app with a taken id")
	got, err := s.GetApp(ctx, a.ID)
	mustOK(t, err, "get app")
	checkSame(t, "App", got, a)
}

func testAppDelete(t *testing.T, s storage.Store) {
	ctx := t.Context()
	a := mustCreateApp(t, s)
	kept := mustCreateApp(t, s)
	mustOK(t, s.DeleteApp(ctx, a.ID), "delete app")
	_, err := s.GetApp(ctx, a.ID)
	requireNotFound(t, err, "get deleted app")
	requireNotFound(t, s.DeleteApp(ctx, a.ID), "delete app twice")
	got, err := s.ListApps(ctx)
	mustOK(t, err, "list apps")
	requireListed(t, "ListApps after delete", got, []storage.App{kept}, appKey, false)
}
