package flexapi_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/passbridge/passbridge/ceremony/softauthn"
	"github.com/passbridge/passbridge/provider/internal/apitest"
)

// Starts the client API refuses: unknown, expired, consumed or mistyped
// transactions, and bad bodies.
func TestStartRejections(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		a := softauthn.New(softauthn.Options{})
		h.register(a, "alice")
		regTx := h.createRegisterTransaction("bob")
		authTx := h.createAuthenticateTransaction("alice")
		used := h.createRegisterTransaction("carol")
		hs := h.registerStart(used)
		resp, _, err := a.Register(hs.Handshake.Challenge.PublicKey, testOrigin)
		if err != nil {
			t.Fatal(err)
		}
		nonceOf(t, h.client("/register/transactions/webauthn/finish", finishBody(used, hs.Handshake.ID, resp)))

		regStart := func(body any) request {
			return request{method: "POST", path: "/v1/apps/" + h.app.ID + "/register/transactions/webauthn/start", body: body,
				header: map[string]string{"Origin": testOrigin}}
		}
		authStart := func(body any) request {
			return request{method: "POST", path: "/v1/apps/" + h.app.ID + "/authenticate/transactions/webauthn/start", body: body,
				header: map[string]string{"Origin": testOrigin}}
		}
		refuse(t, h, []rejection{
			{"unknown app", request{method: "POST", path: "/v1/apps/nosuchapp/register/transactions/webauthn/start",
				body: map[string]string{"transaction_id": regTx}, header: map[string]string{"Origin": testOrigin}}, 404, "app_not_found"},
			{"register without transaction", regStart(map[string]string{}), 400, "invalid_request"},
			{"register unknown transaction", regStart(map[string]string{"transaction_id": "nosuchtransaction"}), 404, "transaction_not_found"},
			{"register with an authenticate transaction", regStart(map[string]string{"transaction_id": authTx}), 404, "transaction_not_found"},
			{"register with another app's route", request{method: "POST", path: "/v1/apps/" + h.other.ID + "/register/transactions/webauthn/start",
				body: map[string]string{"transaction_id": regTx}, header: map[string]string{"Origin": "https://other.example"}}, 404, "transaction_not_found"},
			{"register consumed transaction", regStart(map[string]string{"transaction_id": used}), 410, "transaction_expired"},
			{"register unknown attachment", regStart(map[string]string{"transaction_id": regTx, "authenticator_attachment": "usb"}), 400, "invalid_request"},
			{"register attachment a number", regStart(`{"transaction_id":"` + regTx + `","authenticator_attachment":1}`), 400, "invalid_request"},
			{"register body not JSON", regStart("transaction_id=" + regTx), 400, "invalid_request"},
			{"authenticate unknown transaction", authStart(map[string]string{"transaction_id": "nosuchtransaction"}), 404, "transaction_not_found"},
			{"authenticate with a register transaction", authStart(map[string]string{"transaction_id": regTx}), 404, "transaction_not_found"},
			{"authenticate body not JSON", authStart("{"), 400, "invalid_request"},
			{"oversized body", regStart(`{"transaction_id":"` + regTx + `","pad":"` + strings.Repeat("x", 1<<20) + `"}`), 413, "request_too_large"},
		})

		h.clock.Advance(6 * time.Minute) // past the 5-minute transaction lifetime
		refuse(t, h, []rejection{
			{"register expired transaction", regStart(map[string]string{"transaction_id": regTx}), 410, "transaction_expired"},
			{"authenticate expired transaction", authStart(map[string]string{"transaction_id": authTx}), 410, "transaction_expired"},
		})
	})
}

// ceremonyFixture is an app with two users, each with a passkey on its own
// authenticator; alice's is a security key with a real signature counter.
type ceremonyFixture struct {
	*harness
	alice, bob *softauthn.Authenticator
}

func newCeremonyFixture(h *harness) ceremonyFixture {
	h.t.Helper()
	f := ceremonyFixture{
		harness: h,
		alice:   softauthn.New(softauthn.Options{Attachment: softauthn.AttachmentCrossPlatform, SignCount: 5}),
		bob:     softauthn.New(softauthn.Options{BackupEligible: true}),
	}
	tx := h.createRegisterTransaction("alice")
	hs := h.start("/register/transactions/webauthn/start", map[string]string{"transaction_id": tx, "authenticator_attachment": "any"})
	resp, _, err := f.alice.Register(hs.Handshake.Challenge.PublicKey, testOrigin)
	if err != nil {
		h.t.Fatal(err)
	}
	nonceOf(h.t, h.client("/register/transactions/webauthn/finish", finishBody(tx, hs.Handshake.ID, resp)))
	h.register(f.bob, "bob")
	return f
}

// Registration finishes the client API refuses: each leaves the
// transaction pending, the handshake usable and no device behind.
func TestRegisterFinishRejections(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		a := softauthn.New(softauthn.Options{Attestation: softauthn.AttestationPacked})
		tx := h.createRegisterTransaction("dave")
		hs := h.registerStart(tx)
		hid, opts := hs.Handshake.ID, hs.Handshake.Challenge.PublicKey
		otherTx := h.createRegisterTransaction("erin")
		otherHs := h.registerStart(otherTx)

		register := func(mods ...softauthn.Mod) []byte {
			t.Helper()
			resp, _, err := softauthn.New(softauthn.Options{Attestation: softauthn.AttestationPacked}).Register(opts, testOrigin, mods...)
			if err != nil {
				t.Fatal(err)
			}
			return resp
		}
		good := register()
		finish := func(body any) request {
			return request{method: "POST", path: "/v1/apps/" + h.app.ID + "/register/transactions/webauthn/finish", body: body,
				header: map[string]string{"Origin": testOrigin}}
		}
		cases := []rejection{
			{"without transaction", finish(finishBody("", hid, good)), 400, "invalid_request"},
			{"without handshake", finish(finishBody(tx, "", good)), 400, "invalid_request"},
			{"without response", finish(map[string]any{"transaction_id": tx, "handshake_id": hid}), 400, "invalid_request"},
			{"null response", finish(map[string]any{"transaction_id": tx, "handshake_id": hid, "handshake_response": nil}), 400, "invalid_request"},
			{"response a string", finish(map[string]any{"transaction_id": tx, "handshake_id": hid, "handshake_response": "x"}), 400, "invalid_request"},
			{"body not JSON", finish(`{"transaction_id":`), 400, "invalid_request"},
			{"unknown transaction", finish(finishBody("nosuchtransaction", hid, good)), 404, "transaction_not_found"},
			{"unknown handshake", finish(finishBody(tx, "nosuchhandshake", good)), 404, "handshake_not_found"},
			{"handshake of another transaction", finish(finishBody(tx, otherHs.Handshake.ID, good)), 404, "handshake_not_found"},
			{"wrong origin", finish(finishBody(tx, hid, register(softauthn.WithOrigin("https://evil.example")))), 422, "webauthn_verification_failed"},
			{"wrong RP ID hash", finish(finishBody(tx, hid, register(softauthn.WithRPID("evil.example")))), 422, "webauthn_verification_failed"},
			{"no user presence", finish(finishBody(tx, hid, register(softauthn.WithoutUP()))), 422, "webauthn_verification_failed"},
			{"no user verification", finish(finishBody(tx, hid, register(softauthn.WithoutUV()))), 422, "webauthn_verification_failed"},
			{"bad attestation signature", finish(finishBody(tx, hid, register(softauthn.WithBadSignature()))), 422, "webauthn_verification_failed"},
			{"another challenge", finish(finishBody(tx, hid, register(softauthn.WithChallenge(b64([]byte("not the challenge")))))), 422, "webauthn_verification_failed"},
			{"assertion type", finish(finishBody(tx, hid, register(softauthn.WithType("webauthn.get")))), 422, "webauthn_verification_failed"},
			{"oversized body", finish(`{"transaction_id":"` + tx + `","pad":"` + strings.Repeat("x", 1<<20) + `"}`), 413, "request_too_large"},
		}
		for _, kind := range softauthn.CorruptKinds() {
			cases = append(cases, rejection{"malformed " + kind.String(), finish(finishBody(tx, hid, softauthn.Corrupt(good, kind))), 400, "invalid_request"})
		}
		refuse(t, h, cases)

		// After all that, the handshake still completes, once.
		resp, _, err := a.Register(opts, testOrigin)
		if err != nil {
			t.Fatal(err)
		}
		body := finishBody(tx, hid, resp)
		nonceOf(t, h.client("/register/transactions/webauthn/finish", body))
		refuse(t, h, []rejection{{"reused handshake", finish(body), 410, "transaction_expired"}})

		// A passkey already registered cannot be registered again, even by
		// another transaction.
		tx2 := h.createRegisterTransaction("dave")
		hs2 := h.registerStart(tx2)
		if _, _, err := a.Register(hs2.Handshake.Challenge.PublicKey, testOrigin); err == nil {
			t.Fatal("excludeCredentials did not list the registered passkey")
		}
	})
}

// Authentication finishes the client API refuses, each leaving the store
// unchanged: bad ceremony data, wrong credential, replays.
func TestAuthenticateFinishRejections(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		f := newCeremonyFixture(h)
		tx := h.createAuthenticateTransaction("alice")
		hs := h.authenticateStart(tx)
		hid, opts := hs.Handshake.ID, hs.Handshake.Challenge.PublicKey
		disc := h.authenticateStart("")

		assert := func(a *softauthn.Authenticator, options []byte, mods ...softauthn.Mod) []byte {
			t.Helper()
			resp, err := a.Authenticate(options, testOrigin, mods...)
			if err != nil {
				t.Fatal(err)
			}
			return resp
		}
		// A discoverable request: any credential of the RP ID answers.
		var req map[string]any
		if err := json.Unmarshal(opts, &req); err != nil {
			t.Fatal(err)
		}
		delete(req, "allowCredentials")
		unbound, _ := json.Marshal(req)

		// A passkey for the same RP ID that this app does not know.
		stranger := softauthn.New(softauthn.Options{})
		sibling, siblingKey := h.createApp("Sibling", testRPID, testOrigin)
		r := h.send(request{method: "POST", path: "/v1/apps/" + sibling.ID + "/transactions/register",
			body: map[string]string{"external_id": "mallory"}, header: map[string]string{"Authorization": "Bearer " + siblingKey}})
		var st struct {
			TransactionID string `json:"transaction_id"`
		}
		r.Decode(t, &st)
		r = h.send(request{method: "POST", path: "/v1/apps/" + sibling.ID + "/register/transactions/webauthn/start",
			body: map[string]string{"transaction_id": st.TransactionID}})
		var sh handshakeJSON
		r.Decode(t, &sh)
		if _, _, err := stranger.Register(sh.Handshake.Challenge.PublicKey, testOrigin); err != nil {
			t.Fatal(err)
		}

		finish := func(body any) request {
			return request{method: "POST", path: "/v1/apps/" + h.app.ID + "/authenticate/transactions/webauthn/finish", body: body,
				header: map[string]string{"Origin": testOrigin}}
		}
		good := assert(f.alice, opts)
		cases := []rejection{
			{"without handshake", finish(finishBody(tx, "", good)), 400, "invalid_request"},
			{"without response", finish(map[string]any{"transaction_id": tx, "handshake_id": hid}), 400, "invalid_request"},
			{"unknown transaction", finish(finishBody("nosuchtransaction", hid, good)), 404, "transaction_not_found"},
			{"unknown handshake", finish(finishBody(tx, "nosuchhandshake", good)), 404, "handshake_not_found"},
			{"bound handshake without its transaction", finish(finishBody("", hid, good)), 404, "handshake_not_found"},
			{"discoverable handshake with a transaction", finish(finishBody(tx, disc.Handshake.ID, good)), 404, "handshake_not_found"},
			{"wrong origin", finish(finishBody(tx, hid, assert(f.alice, opts, softauthn.WithOrigin("https://evil.example")))), 422, "webauthn_verification_failed"},
			{"wrong RP ID hash", finish(finishBody(tx, hid, assert(f.alice, opts, softauthn.WithRPID("evil.example")))), 422, "webauthn_verification_failed"},
			{"no user presence", finish(finishBody(tx, hid, assert(f.alice, opts, softauthn.WithoutUP()))), 422, "webauthn_verification_failed"},
			{"no user verification", finish(finishBody(tx, hid, assert(f.alice, opts, softauthn.WithoutUV()))), 422, "webauthn_verification_failed"},
			{"bad signature", finish(finishBody(tx, hid, assert(f.alice, opts, softauthn.WithBadSignature()))), 422, "webauthn_verification_failed"},
			{"another challenge", finish(finishBody(tx, hid, assert(f.alice, opts, softauthn.WithChallenge(b64([]byte("not the challenge")))))), 422, "webauthn_verification_failed"},
			{"registration type", finish(finishBody(tx, hid, assert(f.alice, opts, softauthn.WithType("webauthn.create")))), 422, "webauthn_verification_failed"},
			{"another user's credential", finish(finishBody(tx, hid, assert(f.bob, unbound))), 422, "webauthn_verification_failed"},
			{"unknown credential, bound", finish(finishBody(tx, hid, assert(stranger, unbound))), 422, "webauthn_verification_failed"},
			{"unknown credential, discoverable", finish(finishBody("", disc.Handshake.ID, assert(stranger, disc.Handshake.Challenge.PublicKey))), 422, "webauthn_verification_failed"},
			{"discoverable without user handle", finish(finishBody("", disc.Handshake.ID, assert(f.bob, disc.Handshake.Challenge.PublicKey, softauthn.WithUserHandle(nil)))), 422, "webauthn_verification_failed"},
			{"discoverable with another user's handle", finish(finishBody("", disc.Handshake.ID, assert(f.bob, disc.Handshake.Challenge.PublicKey, softauthn.WithUserHandle([]byte("someone else"))))), 422, "webauthn_verification_failed"},
		}
		for _, kind := range softauthn.CorruptKinds() {
			cases = append(cases, rejection{"malformed " + kind.String(), finish(finishBody(tx, hid, softauthn.Corrupt(good, kind))), 400, "invalid_request"})
		}
		refuse(t, h, cases)

		// The good assertion still works after all that, once.
		body := finishBody(tx, hid, assert(f.alice, opts))
		if got := h.verify(nonceOf(t, h.client("/authenticate/transactions/webauthn/finish", body))); got != "alice" {
			t.Fatalf("verify: %q", got)
		}
		refuse(t, h, []rejection{{"reused handshake", finish(body), 410, "transaction_expired"}})

		// A discoverable assertion replayed: on its own handshake, which is
		// spent, and on a fresh one, whose challenge it does not carry.
		first := assert(f.bob, disc.Handshake.Challenge.PublicKey)
		nonceOf(t, h.client("/authenticate/transactions/webauthn/finish", finishBody("", disc.Handshake.ID, first)))
		fresh := h.authenticateStart("")
		refuse(t, h, []rejection{
			{"replay on the spent handshake", finish(finishBody("", disc.Handshake.ID, first)), 404, "handshake_not_found"},
			{"replay on a fresh handshake", finish(finishBody("", fresh.Handshake.ID, first)), 422, "webauthn_verification_failed"},
		})

		// A counter that went back is refused. The refusal makes one change,
		// on purpose: the device is flagged as possibly cloned, for the
		// operator to see (WebAuthn L3 §6.1.1). This runs last: the
		// authenticator keeps counting from the forged value.
		aliceDevice := h.devices(h.userID("alice"))[0].ID
		tx4 := h.createAuthenticateTransaction("alice")
		hs4 := h.authenticateStart(tx4)
		cloned := assert(f.alice, hs4.Handshake.Challenge.PublicKey, softauthn.WithSignCount(2))
		before := h.snapshot()
		apitest.WantError(t, h.client("/authenticate/transactions/webauthn/finish", finishBody(tx4, hs4.Handshake.ID, cloned)), 422, "webauthn_verification_failed")
		after := h.snapshot()
		for i, d := range after.Devices {
			if d.ID != aliceDevice {
				continue
			}
			if before.Devices[i].CloneWarning || !d.CloneWarning {
				t.Fatalf("clone warning %v → %v, want false → true", before.Devices[i].CloneWarning, d.CloneWarning)
			}
			after.Devices[i].CloneWarning, after.Devices[i].UpdatedAt = false, before.Devices[i].UpdatedAt
		}
		apitest.SameSnapshot(t, before, after)

		// An expired transaction is refused at finish too.
		tx3 := h.createAuthenticateTransaction("bob")
		hs3 := h.authenticateStart(tx3)
		late := assert(f.bob, hs3.Handshake.Challenge.PublicKey)
		h.clock.Advance(6 * time.Minute)
		refuse(t, h, []rejection{{"expired transaction", finish(finishBody(tx3, hs3.Handshake.ID, late)), 410, "transaction_expired"}})
	})
}

// A nonce is redeemed once: again, or by another app, it is invalid; of 100
// concurrent redemptions exactly one succeeds.
func TestNonceSingleUse(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		a := softauthn.New(softauthn.Options{})
		nonce, _ := h.register(a, "alice")
		other := request{method: "POST", path: "/v1/apps/" + h.other.ID + "/authenticate/verify", body: map[string]string{"nonce": nonce},
			header: map[string]string{"Authorization": "Bearer " + h.otherK}}
		refuse(t, h, []rejection{{"another app's nonce", other, 401, "invalid_nonce"}})
		h.verify(nonce)
		refuse(t, h, []rejection{{"reused nonce", request{method: "POST", path: "/v1/apps/" + h.app.ID + "/authenticate/verify",
			body: map[string]string{"nonce": nonce}, header: map[string]string{"Authorization": "Bearer " + h.key}}, 401, "invalid_nonce"}})

		nonce = h.authenticate(a, "alice")
		const n = 100
		var (
			wg       sync.WaitGroup
			mu       sync.Mutex
			statuses = map[int]int{}
			codes    = map[string]int{}
		)
		start := make(chan struct{})
		for range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				r := h.mgmt(http.MethodPost, "/authenticate/verify", map[string]string{"nonce": nonce})
				var e struct{ Code string }
				_ = json.Unmarshal(r.Body, &e)
				mu.Lock()
				defer mu.Unlock()
				statuses[r.Status]++
				codes[e.Code]++
			}()
		}
		close(start)
		wg.Wait()
		if statuses[200] != 1 || statuses[401] != n-1 || codes["invalid_nonce"] != n-1 {
			t.Fatalf("statuses %v, codes %v: want one 200 and %d 401 invalid_nonce", statuses, codes, n-1)
		}
	})
}

// A nonce expires with its lifetime.
func TestNonceExpires(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		nonce, _ := h.register(softauthn.New(softauthn.Options{}), "alice")
		h.clock.Advance(6 * time.Minute)
		refuse(t, h, []rejection{{"expired nonce", request{method: "POST", path: "/v1/apps/" + h.app.ID + "/authenticate/verify",
			body: map[string]string{"nonce": nonce}, header: map[string]string{"Authorization": "Bearer " + h.key}}, 401, "invalid_nonce"}})
	})
}
