package flexapi_test

import (
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/passbridge/passbridge/ceremony/softauthn"
	"github.com/passbridge/passbridge/provider/internal/apitest"
	"github.com/passbridge/passbridge/storage"
)

// hostileTransports are the transports a faulty or hostile client reports
// at registration: markup, a NUL, a 20,000-character string, a name in the
// wrong case and duplicates, around three real values.
var hostileTransports = []string{
	"<script>", "usb", "a\x00b", strings.Repeat("x", 20000), "usb", "hybrid", "USB", "internal", "hybrid", "<script>",
}

// keptTransports is what is left of hostileTransports: the WebAuthn L3
// §5.8.4 values, each once, in the order the client first named them.
var keptTransports = []string{"usb", "hybrid", "internal"}

// A registration keeps only the transports WebAuthn defines, each once; the
// rest are dropped without refusing the registration, in either body shape.
// The stored device, the device JSON and the next ceremony's
// allowCredentials all hold the same clean list.
func TestRegisterTransportsFiltered(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		for _, tc := range []struct {
			name       string
			externalID string
			mods       []softauthn.Mod
		}{
			{"in response", "tess", nil},
			{"at the top level, as the Passage SDK sends them", "theo", []softauthn.Mod{softauthn.WithPassageShape()}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				a := softauthn.New(softauthn.Options{Transports: hostileTransports})
				h.register(a, tc.externalID, tc.mods...)
				userID := h.userID(tc.externalID)

				stored, err := h.store.ListDevices(h.ctx, h.app.ID, userID)
				if err != nil {
					t.Fatal(err)
				}
				if len(stored) != 1 || !reflect.DeepEqual(stored[0].Transports, keptTransports) {
					t.Fatalf("stored transports %q, want %q", apitest.Shorten(stored[0].Transports), keptTransports)
				}
				if got := h.devices(userID)[0].Transports; !reflect.DeepEqual(got, keptTransports) {
					t.Errorf("device JSON transports %q, want %q", apitest.Shorten(got), keptTransports)
				}
				r := h.mgmt(http.MethodGet, "/users/"+userID, nil)
				apitest.OK(t, r)
				var u struct{ User userJSON }
				r.Decode(t, &u)
				if got := u.User.WebAuthnDevices[0].Transports; !reflect.DeepEqual(got, keptTransports) {
					t.Errorf("user JSON device transports %q, want %q", apitest.Shorten(got), keptTransports)
				}

				hs := h.authenticateStart(h.createAuthenticateTransaction(tc.externalID))
				apitest.WantAllowedTransports(t, hs.Handshake.Challenge.PublicKey, keptTransports)
				// The ceremony the clean list leads to still works.
				if got := h.verify(h.authenticate(a, tc.externalID)); got != tc.externalID {
					t.Errorf("verify: %q", got)
				}
			})
		}
	})
}

// A device stored before transports were cleaned at registration shows and
// sends only the clean ones.
func TestStoredTransportsFiltered(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		a := softauthn.New(softauthn.Options{})
		h.register(a, "olga")
		userID := h.userID("olga")
		d := h.devices(userID)[0]
		if _, err := h.store.UpdateDevice(h.ctx, h.app.ID, d.ID, func(d storage.Device) (storage.Device, error) {
			d.Transports = hostileTransports
			return d, nil
		}); err != nil {
			t.Fatal(err)
		}
		if got := h.devices(userID)[0].Transports; !reflect.DeepEqual(got, keptTransports) {
			t.Errorf("device JSON transports %q, want %q", apitest.Shorten(got), keptTransports)
		}
		hs := h.authenticateStart(h.createAuthenticateTransaction("olga"))
		apitest.WantAllowedTransports(t, hs.Handshake.Challenge.PublicKey, keptTransports)
	})
}
