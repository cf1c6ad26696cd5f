package adminapi_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/passbridge/passbridge/provider/internal/apitest"
	"github.com/passbridge/passbridge/storage"
)

type signingKeyView struct {
	ID          string     `json:"id"`
	Algorithm   string     `json:"algorithm"`
	State       string     `json:"state"`
	CreatedAt   time.Time  `json:"created_at"`
	ActivatedAt *time.Time `json:"activated_at"`
	RetiredAt   *time.Time `json:"retired_at"`
	ExpiresAt   *time.Time `json:"expires_at"`
}

type rotationView struct {
	ActiveKeyID  string `json:"active_key_id"`
	NextKeyID    string `json:"next_key_id"`
	RetiredKeyID string `json:"retired_key_id"`
}

// The signing keys list without key material; a rotation is refused while
// the next key is new (409), goes through with force, keeps the
// algorithm of the next key or takes the one asked for, and the server
// signs with the new key at once.
func TestSigningKeys(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		r := e.do("GET", "/keys", nil)
		var keys page[signingKeyView]
		ok(t, r, http.StatusOK, &keys)
		var active, next string
		for _, k := range keys.Items {
			switch {
			case k.State == storage.KeyActive && k.ActivatedAt != nil:
				active = k.ID
			case k.State == storage.KeyNext && k.ActivatedAt == nil:
				next = k.ID
			}
		}
		if len(keys.Items) != 2 || active == "" || next == "" {
			t.Fatalf("keys %s", r.Body)
		}
		for _, word := range []string{"private", "public_key", `"d"`, "BEGIN"} {
			if strings.Contains(string(r.Body), word) {
				t.Fatalf("the key list shows %s: %s", word, r.Body)
			}
		}

		before := e.snapshot()
		r = e.do("POST", "/keys/rotate", nil)
		apitest.WantError(t, r, http.StatusConflict, "rotation_too_soon")
		says(t, r, "force=true")
		apitest.WantError(t, e.do("POST", "/keys/rotate?force=maybe", nil), http.StatusBadRequest, "invalid_request")
		apitest.WantError(t, e.do("POST", "/keys/rotate?force=true&algorithm=HS256", nil), http.StatusBadRequest, "invalid_request")
		apitest.WantError(t, e.do("GET", "/keys?cursor=x", nil), http.StatusBadRequest, "invalid_request")
		e.unchanged(t, before)

		var rot rotationView
		ok(t, e.do("POST", "/keys/rotate?force=true", nil), http.StatusOK, &rot)
		if rot.ActiveKeyID != next || rot.RetiredKeyID != active || rot.NextKeyID == "" {
			t.Fatalf("rotation %+v (active %s, next %s)", rot, active, next)
		}
		// This instance signs with the new key at once: its JWKS and its
		// signing key are read again.
		jwks := apitest.Send(t, e.ctx, e.srv.HTTP, "GET", "/keys", nil, nil)
		if !strings.Contains(string(jwks.Body), rot.NextKeyID) {
			t.Fatalf("the new next key is not published: %s", jwks.Body)
		}

		// An hour later no force is needed; the algorithm may change.
		e.srv.Clock.Advance(time.Hour + time.Minute)
		ok(t, e.do("POST", "/keys/rotate?algorithm=ES256", nil), http.StatusOK, &rot)
		ok(t, e.do("GET", "/keys", nil), http.StatusOK, &keys)
		algs := map[string]string{}
		for _, k := range keys.Items {
			algs[k.ID] = k.Algorithm + "/" + k.State
		}
		if algs[rot.NextKeyID] != "ES256/next" || !strings.HasSuffix(algs[rot.ActiveKeyID], "/active") || algs[active] != "RS256/retired" {
			t.Fatalf("keys after two rotations: %v", algs)
		}
		// Without an algorithm, the next key's stays.
		e.srv.Clock.Advance(time.Hour + time.Minute)
		ok(t, e.do("POST", "/keys/rotate", nil), http.StatusOK, &rot)
		ok(t, e.do("GET", "/keys?limit=200", nil), http.StatusOK, &keys)
		for _, k := range keys.Items {
			if k.ID == rot.NextKeyID && k.Algorithm != "ES256" {
				t.Fatalf("next key %+v, want ES256 kept", k)
			}
		}
		evs := e.wantEvents(0, "signing_key.rotated", "signing_key.rotated", "signing_key.rotated")
		if evs[0].AppID != "" || evs[0].Detail["forced"] != "true" || evs[1].Detail["algorithm"] != "ES256" || evs[2].Detail["forced"] != "false" {
			t.Fatalf("rotations recorded as %+v", evs)
		}
	})
}
