package flexapi_test

import (
	"net/http"
	"testing"

	"github.com/passbridge/passbridge/ceremony/softauthn"
	"github.com/passbridge/passbridge/provider/internal/apitest"
)

// verified is the whole answer of authenticate/verify.
type verified struct {
	ExternalID     string `json:"external_id"`
	Kind           string `json:"kind"`
	DeviceID       string `json:"device_id"`
	UserVerified   bool   `json:"user_verified"`
	BackupEligible bool   `json:"backup_eligible"`
	BackedUp       bool   `json:"backed_up"`
}

func (h *harness) verifyAll(nonce string) verified {
	h.t.Helper()
	r := h.mgmt(http.MethodPost, "/authenticate/verify", map[string]string{"nonce": nonce})
	apitest.OK(h.t, r)
	var v verified
	r.Decode(h.t, &v)
	return v
}

// Verify tells a backend what the nonce's ceremony was and proved: a
// sign-up must be able to tell its own first passkey's registration from a
// sign-in, and a step-up how strong the passkey is.
func TestVerifyNonceSaysWhatTheCeremonyProved(t *testing.T) {
	for _, tc := range []struct {
		name   string
		opts   softauthn.Options
		be, bs bool
	}{
		{"synced and backed up", softauthn.Options{BackupEligible: true, BackedUp: true}, true, true},
		{"synced, not backed up yet", softauthn.Options{BackupEligible: true}, true, false},
		{"device-bound", softauthn.Options{}, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			forEachEngine(t, func(t *testing.T, h *harness) {
				a := softauthn.New(tc.opts)
				nonce, _ := h.register(a, "dana")
				devices := h.devices(h.userID("dana"))
				if len(devices) != 1 {
					t.Fatalf("devices: %+v", devices)
				}
				want := verified{ExternalID: "dana", Kind: "register", DeviceID: devices[0].ID,
					UserVerified: true, BackupEligible: tc.be, BackedUp: tc.bs}
				if got := h.verifyAll(nonce); got != want {
					t.Errorf("verify register nonce = %+v, want %+v", got, want)
				}

				want.Kind = "authenticate"
				if got := h.verifyAll(h.authenticate(a, "dana")); got != want {
					t.Errorf("verify bound authenticate nonce = %+v, want %+v", got, want)
				}
				if got := h.verifyAll(h.authenticate(a, "")); got != want {
					t.Errorf("verify discoverable authenticate nonce = %+v, want %+v", got, want)
				}
			})
		})
	}
}

// The backup state is what the ceremony saw: a passkey that got backed up
// after its registration says so at its next sign-in.
func TestVerifyNonceBackupStateOfTheCeremony(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		a := softauthn.New(softauthn.Options{BackupEligible: true})
		nonce, _ := h.register(a, "eve")
		if got := h.verifyAll(nonce); got.BackedUp {
			t.Fatalf("register nonce says backed up: %+v", got)
		}
		got := h.verifyAll(h.authenticate(a, "eve", softauthn.WithBackupFlags(true, true)))
		if !got.BackedUp || !got.BackupEligible || got.Kind != "authenticate" {
			t.Fatalf("authenticate nonce after backup = %+v, want backed up", got)
		}
	})
}
