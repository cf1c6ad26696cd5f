package flexapi_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/passbridge/passbridge/ceremony/softauthn"
	"github.com/passbridge/passbridge/provider/internal/apitest"
	"github.com/passbridge/passbridge/storage/sqlstore/sqlstoretest"
)

// fuzzFinish sends arbitrary bodies to a client finish. Whatever the body,
// the answer is never a server error, and a refused body changes nothing.
// The seeds hold a valid finish (which succeeds once), its Passage-shaped
// twin and every way softauthn can corrupt it.
func fuzzFinish(f *testing.F, path string, seed func(h *harness) [][]byte) {
	h := newHarness(f, sqlstoretest.Open(f, sqlstoretest.SQLite))
	h.srv.Client().Timeout = 10 * time.Second
	for _, s := range seed(h) {
		f.Add(s)
	}
	for _, s := range []string{``, `{}`, `null`, `[]`, `"x"`, `{"handshake_response":{}}`, `{"handshake_id":1}`,
		`{"transaction_id":"","handshake_id":"","handshake_response":null}`, `{"handshake_response":[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]}`,
		`{"handshake_id":"x","handshake_response":{"id":"AA","rawId":"AA","type":"public-key","response":{}}}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		before := h.snapshotT(t)
		r := h.sendT(t, request{method: http.MethodPost, path: "/v1/apps/" + h.app.ID + path, body: body,
			header: map[string]string{"Origin": testOrigin}})
		if r.Status >= 500 {
			t.Fatalf("status %d for %q: %s", r.Status, body, r.Body)
		}
		if r.Status != http.StatusOK {
			apitest.SameSnapshot(t, before, h.snapshotT(t))
		}
	})
}

// mutations returns a finish body and its corrupted variants.
func mutations(tx, handshake string, resp []byte) [][]byte {
	out := [][]byte{finishBody(tx, handshake, resp)}
	for _, k := range softauthn.CorruptKinds() {
		out = append(out, finishBody(tx, handshake, softauthn.Corrupt(resp, k)))
	}
	return out
}

func FuzzRegisterFinish(f *testing.F) {
	fuzzFinish(f, "/register/transactions/webauthn/finish", func(h *harness) [][]byte {
		tx := h.createRegisterTransaction("fuzz")
		hs := h.registerStart(tx)
		a := softauthn.New(softauthn.Options{Attestation: softauthn.AttestationPacked})
		resp, _, err := a.Register(hs.Handshake.Challenge.PublicKey, testOrigin)
		if err != nil {
			f.Fatal(err)
		}
		passage, _, err := softauthn.New(softauthn.Options{}).Register(hs.Handshake.Challenge.PublicKey, testOrigin, softauthn.WithPassageShape())
		if err != nil {
			f.Fatal(err)
		}
		return append(mutations(tx, hs.Handshake.ID, resp), finishBody(tx, hs.Handshake.ID, passage))
	})
}

func FuzzAuthenticateFinish(f *testing.F) {
	fuzzFinish(f, "/authenticate/transactions/webauthn/finish", func(h *harness) [][]byte {
		a := softauthn.New(softauthn.Options{SignCount: 1})
		h.register(a, "fuzz")
		tx := h.createAuthenticateTransaction("fuzz")
		hs := h.authenticateStart(tx)
		resp, err := a.Authenticate(hs.Handshake.Challenge.PublicKey, testOrigin)
		if err != nil {
			f.Fatal(err)
		}
		disc := h.authenticateStart("")
		passage, err := a.Authenticate(disc.Handshake.Challenge.PublicKey, testOrigin, softauthn.WithPassageShape())
		if err != nil {
			f.Fatal(err)
		}
		return append(mutations(tx, hs.Handshake.ID, resp), mutations("", disc.Handshake.ID, passage)...)
	})
}
