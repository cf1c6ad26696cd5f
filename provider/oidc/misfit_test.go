package oidc_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/passbridge/passbridge/ceremony/softauthn"
	"github.com/passbridge/passbridge/provider/internal/apitest"
	pboidc "github.com/passbridge/passbridge/provider/oidc"
	"github.com/passbridge/passbridge/storage"
)

// The login page runs ceremonies on the issuer's origin: a client whose app
// does not fit the issuer gets a clear configuration error from the page and
// from its ceremony call, never a ceremony bound to fail (DESIGN §6).
func TestLoginAppMisfit(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		now := h.clock.Now()
		// Its own site's origin only.
		elsewhere, _ := apitest.CreateApp(t, h.ctx, h.store, now, "Elsewhere", "localhost", "http://localhost:1")
		// The issuer's origin, but the RP ID of another site (an edited row).
		foreign := h.app
		foreign.ID, foreign.Name, foreign.RPID = storage.NewID(), "Foreign", "example.com"
		if err := h.store.CreateApp(h.ctx, foreign); err != nil {
			t.Fatal(err)
		}
		for _, app := range []storage.App{elsewhere, foreign} {
			c := storage.Client{ID: "client-" + storage.NewID(), AppID: app.ID, Name: app.Name, AuthMethod: storage.AuthMethodNone,
				RedirectURIs: []string{rpRedirect}, AccessTokenType: pboidc.AccessTokenOpaque, CreatedAt: now, UpdatedAt: now}
			if err := h.store.CreateClient(h.ctx, c); err != nil {
				t.Fatal(err)
			}
			b := h.newBrowser(softauthn.Options{BackupEligible: true})
			u, _ := h.authorizeURL(c, nil)
			r := b.authorize(u)
			if r.status != http.StatusConflict || !strings.Contains(r.page, "Passkey sign-in is not set up") {
				t.Errorf("%s: login page %d %s", app.Name, r.status, firstLine(r.page))
			}
			status, info := b.ceremonyInfo(r.authRequestID(t))
			if status != http.StatusConflict || info["code"] != "app_misconfigured" {
				t.Errorf("%s: login/ceremony %d %v", app.Name, status, info)
			}
		}

		// The harness's app fits: the same request reaches the page.
		b := h.newBrowser(softauthn.Options{BackupEligible: true})
		u, _ := h.authorizeURL(h.public, nil)
		if r := b.authorize(u); r.status != http.StatusOK {
			t.Fatalf("fitting app: login page %d %s", r.status, firstLine(r.page))
		}
	})
}
