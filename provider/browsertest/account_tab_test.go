//go:build e2e

package browsertest

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"

	"github.com/passbridge/passbridge/storage"
)

// signalNames are the functions of the WebAuthn Signals API (WebAuthn L3
// §5.1.10).
var signalNames = []string{"signalUnknownCredential", "signalAllAcceptedCredentials", "signalCurrentUserDetails"}

// signalScript runs in every document of a tab before the page's scripts:
// it wraps each Signals API function the browser has so that every call is
// reported to the test (pbSignal) with its exact argument, then made.
const signalScript = `(() => {
  const P = window.PublicKeyCredential;
  if (!P) return;
  for (const name of %s) {
    const original = P[name];
    if (typeof original !== "function") continue;
    P[name] = function (options) {
      try { window.pbSignal?.({name, options: JSON.stringify(options)}); } catch {}
      return original.call(this, options);
    };
  }
})();`

// noSignalsScript makes a browser without the Signals API.
const noSignalsScript = `(() => {
  const P = window.PublicKeyCredential;
  if (!P) return;
  for (const name of %s) delete P[name];
})();`

// signalCall is one call of a Signals API function, as the page made it.
type signalCall struct {
	Name    string `json:"name"`
	Options string `json:"options"` // the argument, as JSON
}

// signals records the Signals API calls of a tab's pages.
type signals struct {
	mu    sync.Mutex
	calls []signalCall
}

// watchSignals reports the Signals API calls of tb's pages from the next
// document on; with absent, the tab's browser lacks the API instead.
func watchSignals(t *testing.T, tb *tab, absent bool) *signals {
	t.Helper()
	s := &signals{}
	names, _ := json.Marshal(signalNames)
	script := signalScript
	if absent {
		script = noSignalsScript
	}
	err := chromedp.Do(tb.ctx, chromedp.ExposeFunc("pbSignal", func(_ context.Context, c signalCall) (chromedp.Void, error) {
		s.mu.Lock()
		s.calls = append(s.calls, c)
		s.mu.Unlock()
		return chromedp.Void{}, nil
	}))
	if err != nil {
		t.Fatalf("expose pbSignal: %v", err)
	}
	if _, err := chromedp.Call(tb.ctx, page.AddScriptToEvaluateOnNewDocument,
		page.AddScriptToEvaluateOnNewDocumentParams{Source: fmt.Sprintf(script, names)}); err != nil {
		t.Fatalf("add the signal script: %v", err)
	}
	return s
}

// take returns the calls since the last take.
func (s *signals) take() []signalCall {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.calls
	s.calls = nil
	return out
}

// expect waits until the calls want (each a function name and its exact
// argument) have been made, in order, and fails the test if others were
// made or not all of them in time. It takes the calls.
func (s *signals) expect(t *testing.T, want ...signalCall) {
	t.Helper()
	var got []signalCall
	deadline := time.Now().Add(5 * time.Second)
	for {
		got = append(got, s.take()...)
		if len(got) >= len(want) || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	// A moment more, for a call that should not come.
	time.Sleep(100 * time.Millisecond)
	got = append(got, s.take()...)
	if !slices.Equal(got, want) {
		t.Errorf("Signals API calls\n%+v\nwant\n%+v", got, want)
	}
}

// wait waits for at least one call, then a moment for more, and takes
// them; it fails the test when none comes.
func (s *signals) wait(t *testing.T) []signalCall {
	t.Helper()
	var got []signalCall
	for deadline := time.Now().Add(5 * time.Second); len(got) == 0 && time.Now().Before(deadline); {
		got = append(got, s.take()...)
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond)
	got = append(got, s.take()...)
	if len(got) == 0 {
		t.Error("no Signals API call")
	}
	return got
}

// allAccepted is the signalAllAcceptedCredentials call for user with
// exactly the credentials of devices.
func allAccepted(u storage.User, devices ...storage.Device) signalCall {
	ids := make([]string, len(devices))
	for i, d := range devices {
		ids[i] = b64url(d.CredentialID)
	}
	return signal("signalAllAcceptedCredentials", map[string]any{
		"rpId": "localhost", "userId": b64url(u.Handle), "allAcceptedCredentialIds": ids,
	})
}

// signal is a call of the Signals API function name with options; the
// options are encoded in the order the page writes them.
func signal(name string, options map[string]any) signalCall {
	var keys []string
	switch name {
	case "signalUnknownCredential":
		keys = []string{"rpId", "credentialId"}
	case "signalAllAcceptedCredentials":
		keys = []string{"rpId", "userId", "allAcceptedCredentialIds"}
	case "signalCurrentUserDetails":
		keys = []string{"rpId", "userId", "name", "displayName"}
	}
	raw := []byte{'{'}
	for i, k := range keys {
		if i > 0 {
			raw = append(raw, ',')
		}
		kj, _ := json.Marshal(k)
		vj, _ := json.Marshal(options[k])
		raw = append(append(append(raw, kj...), ':'), vj...)
	}
	return signalCall{Name: name, Options: string(append(raw, '}'))}
}

func b64url(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// credentials lists the credentials the tab's virtual authenticator holds.
func (tb *tab) credentials(t *testing.T) []*webauthn.Credential {
	t.Helper()
	res, err := chromedp.Call(tb.ctx, webauthn.GetCredentials, webauthn.GetCredentialsParams{AuthenticatorID: tb.auth})
	if err != nil {
		t.Fatalf("get credentials: %v", err)
	}
	return res.Credentials
}

// replaceAuthenticator replaces the tab's virtual authenticator by a new
// one (same options as Start's) holding creds: a device that holds only
// some of the user's passkeys. One authenticator keeps one discoverable
// credential per user and RP, and refuses to create a second one of a
// user it knows (excludeCredentials).
func (tb *tab) replaceAuthenticator(t *testing.T, creds ...*webauthn.Credential) {
	t.Helper()
	if _, err := chromedp.Call(tb.ctx, webauthn.RemoveVirtualAuthenticator,
		webauthn.RemoveVirtualAuthenticatorParams{AuthenticatorID: tb.auth}); err != nil {
		t.Fatalf("remove virtual authenticator: %v", err)
	}
	res, err := chromedp.Call(tb.ctx, webauthn.AddVirtualAuthenticator, webauthn.AddVirtualAuthenticatorParams{
		Options: &webauthn.VirtualAuthenticatorOptions{
			Protocol: webauthn.AuthenticatorProtocolCtap2, Ctap2version: webauthn.Ctap2versionCtap21,
			Transport: webauthn.AuthenticatorTransportInternal, HasResidentKey: true,
			HasUserVerification: true, IsUserVerified: true, AutomaticPresenceSimulation: true,
		},
	})
	if err != nil {
		t.Fatalf("add virtual authenticator: %v", err)
	}
	tb.auth = res.AuthenticatorID
	for _, c := range creds {
		tb.putCredential(t, c)
	}
}

// putCredential gives the tab's authenticator a credential. The credential
// goes as an authenticator reported it, less the fields of key kinds the
// virtual authenticator refuses to be given (cdproto always sends them).
func (tb *tab) putCredential(t *testing.T, c *webauthn.Credential) {
	t.Helper()
	raw, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	var fields map[string]any
	if err := json.Unmarshal(raw, &fields); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"cmtgKeys", "activeCmtgKeyIndex", "generateCmtgKeyOnNextOperation"} {
		delete(fields, k)
	}
	addCredential := cdp.Command[addCredentialParams, cdp.Empty]{Method: webauthn.CommandAddCredential}
	if _, err := chromedp.Call(tb.ctx, addCredential, addCredentialParams{AuthenticatorID: tb.auth, Credential: fields}); err != nil {
		t.Fatalf("add credential %s: %v", raw, err)
	}
}

type addCredentialParams struct {
	AuthenticatorID webauthn.AuthenticatorID `json:"authenticatorId"`
	Credential      map[string]any           `json:"credential"`
}

// accountRow is one passkey as the account page shows it.
type accountRow struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	Sync    string `json:"sync"`
	Model   string `json:"model"`
	Created string `json:"created"`
	Used    string `json:"used"`
	Current bool   `json:"current"`
	Icon    bool   `json:"icon"` // an authenticator icon shows
}

// accountView is what the account page shows.
type accountView struct {
	State   string       `json:"state"` // "signed-in" | "signed-out"
	Who     string       `json:"who"`
	Rows    []accountRow `json:"rows"`
	Status  string       `json:"status"`
	Message string       `json:"message"` // the alert's title
}

// account reads the account page.
func (tb *tab) account(t *testing.T) accountView {
	t.Helper()
	return eval[accountView](t, tb, `(() => {
  const text = (el) => el?.textContent.trim() ?? "";
  const visible = (el) => !!el && !el.closest("[hidden]");
  return {
    state: visible(document.getElementById("signed-in")) ? "signed-in" : visible(document.getElementById("signed-out")) ? "signed-out" : "",
    who: text(document.getElementById("who-name")),
    rows: [...document.querySelectorAll("#passkeys > li")].map((li) => ({
      id: li.dataset.id,
      name: text(li.querySelector(".pk-name")),
      sync: text(li.querySelector(".pk-sync")),
      model: text(li.querySelector(".pk-model")),
      created: text(li.querySelector(".pk-created")),
      used: text(li.querySelector(".pk-used")),
      current: visible(li.querySelector(".pk-current")),
      icon: [...li.querySelectorAll(".pk-img")].some((img) => img.offsetParent !== null && img.complete && img.naturalWidth > 0),
    })),
    status: text(document.getElementById("status")),
    message: text(document.querySelector("#message .message-title")),
  };
})()`)
}

// waitAccount waits until the account page is in state with n passkeys
// listed (n ignored when signed out) and no call running.
func (tb *tab) waitAccount(t *testing.T, state string, n int) accountView {
	t.Helper()
	tb.waitFor(t, `(() => {
  const main = document.getElementById("account");
  if (!main || main.dataset.state !== `+jsString(state)+`) return false;
  if (document.querySelector("button[aria-busy=true]")) return false;
  const section = document.getElementById(`+jsString(state)+`);
  if (!section || section.hidden) return false;
  return `+jsString(state)+` === "signed-out" || document.querySelectorAll("#passkeys > li").length === `+itoa(n)+`;
})()`)
	return tb.account(t)
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// openAccount opens the account page and waits until its script has set it
// up.
func (tb *tab) openAccount(t *testing.T, u string) {
	t.Helper()
	tb.takeReports()
	tb.navigate(t, u)
	tb.waitFor(t, `(() => { const m = document.getElementById("account");
  return m && !(document.getElementById("signed-in").hidden && document.getElementById("signed-out").hidden); })()`)
}

// rowButton is the selector of a button of passkey id's row.
func rowButton(id, class string) string {
	return `#passkeys > li[data-id="` + id + `"] .` + class
}

// dialogView is the question the page asks before a removal.
type dialogView struct {
	Open    bool   `json:"open"`
	Title   string `json:"title"`
	Text    string `json:"text"`
	Warning string `json:"warning"`
	Focus   string `json:"focus"`
}

func (tb *tab) dialog(t *testing.T) dialogView {
	t.Helper()
	return eval[dialogView](t, tb, `(() => {
  const d = document.getElementById("confirm");
  const w = document.getElementById("confirm-warning");
  return {open: d.open, title: d.querySelector("h2").textContent, text: document.getElementById("confirm-text").textContent,
    warning: w.hidden ? "" : w.textContent, focus: document.activeElement?.id ?? ""};
})()`)
}

// apiPasskey is one passkey as GET /account/api/passkeys lists it.
type apiPasskey struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	Type  string `json:"type"`
	Icons struct {
		Light string `json:"light"`
		Dark  string `json:"dark"`
	} `json:"icons"`
	Synced  bool `json:"synced"`
	Current bool `json:"current"`
}

// passkeysAPI lists the signed-in user's passkeys as the account page's
// script gets them, from the tab (with its session cookie).
func (tb *tab) passkeysAPI(t *testing.T, appID string) []apiPasskey {
	t.Helper()
	raw := eval[string](t, tb, `fetch("/account/api/passkeys?app_id=" + encodeURIComponent(`+jsString(appID)+`),
  {headers: {Accept: "application/json"}}).then((r) => r.ok ? r.text() : Promise.reject(new Error("status " + r.status)))`)
	var list struct {
		Passkeys []apiPasskey `json:"passkeys"`
	}
	if err := json.Unmarshal([]byte(raw), &list); err != nil {
		t.Fatalf("passkey list: %v", err)
	}
	return list.Passkeys
}

// userDevices reads a user and its devices from the store.
func (e *oidcEnv) userDevices(t *testing.T, externalID string) (storage.User, []storage.Device) {
	t.Helper()
	u, err := e.store.GetUserByExternalID(t.Context(), e.app.ID, externalID)
	if err != nil {
		t.Fatal(err)
	}
	ds, err := e.store.ListDevices(t.Context(), e.app.ID, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	return u, ds
}

// device reads a stored device of the env's app.
func (e *oidcEnv) device(t *testing.T, id string) storage.Device {
	t.Helper()
	d, err := e.store.GetDevice(t.Context(), e.app.ID, id)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// hasSignals reports whether the tab's page has the three functions of the
// Signals API.
func hasSignals(t *testing.T, tb *tab) bool {
	t.Helper()
	return eval[bool](t, tb, `["signalUnknownCredential", "signalAllAcceptedCredentials", "signalCurrentUserDetails"]
  .every((name) => typeof globalThis.PublicKeyCredential?.[name] === "function")`)
}
