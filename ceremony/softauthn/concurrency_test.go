package softauthn_test

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"sync"
	"testing"

	"github.com/passbridge/passbridge/ceremony/softauthn"
)

// TestConcurrentAuthenticate checks that parallel ceremonies on one
// authenticator each get their own counter value, as a single device
// serialises its requests.
func TestConcurrentAuthenticate(t *testing.T) {
	const n = 32
	rp := newRP(t)
	a := softauthn.New(softauthn.Options{SignCount: 1})
	u := newUser("alice")
	rp.register(t, a, u)
	options, _ := rp.beginLogin(t, u)

	counts := make([]uint32, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			resp, err := a.Authenticate(options, rp.origin)
			if err != nil {
				errs[i] = err
				return
			}
			counts[i], errs[i] = signCount(resp)
		})
	}
	wg.Go(func() {
		for range n {
			_ = a.Credentials()
		}
	})
	wg.Wait()

	seen := make(map[uint32]bool, n)
	for i, c := range counts {
		if errs[i] != nil {
			t.Fatalf("ceremony %d: %v", i, errs[i])
		}
		if seen[c] || c < 2 || c > n+1 {
			t.Fatalf("counter values %v: want each of 2..%d once", counts, n+1)
		}
		seen[c] = true
	}
	if got := a.Credentials()[0].SignCount; got != n+1 {
		t.Fatalf("held sign count = %d, want %d", got, n+1)
	}
}

// signCount reads the counter from an assertion's authenticator data
// (bytes 33–36, WebAuthn L3 §6.1).
func signCount(resp []byte) (uint32, error) {
	var r struct {
		Response struct {
			AuthenticatorData string `json:"authenticatorData"`
		} `json:"response"`
	}
	if err := json.Unmarshal(resp, &r); err != nil {
		return 0, err
	}
	ad, err := base64.RawURLEncoding.DecodeString(r.Response.AuthenticatorData)
	if err != nil {
		return 0, err
	}
	return binary.BigEndian.Uint32(ad[33:37]), nil
}
