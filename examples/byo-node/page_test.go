//go:build e2e

package byonode

import (
	"context"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/network"
	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"

	"github.com/passbridge/passbridge/examples/internal/exampletest"
)

// probe is test instrumentation added to every document before the page's
// scripts run. It stands in for the person at the username field's
// autofill, and it notes who calls WebAuthn:
//
//   - Every navigator.credentials.create/get call is noted with the script
//     stack that made it, so the test can tell that the page's ceremonies
//     run through @simplewebauthn/browser's modules.
//   - A get with mediation "conditional" (the page's autofill sign-in) is
//     held, as a person who has not opened the autofill holds it, until the
//     test calls autofillProbe.pick(): then it goes to the browser, whose
//     virtual authenticator answers with its passkey, as when a person picks
//     it from the suggestions. An abort (a button's ceremony replacing the
//     request) rejects a held request with the signal's reason, as the
//     browser does. Chromium's virtual authenticator answers conditional
//     requests at once, so without the probe a signed-out page with a
//     passkey around would never stay signed out.
//   - Content-Security-Policy violations are noted.
const probe = `(() => {
	const creds = navigator.credentials;
	const nativeGet = creds.get.bind(creds);
	const nativeCreate = creds.create.bind(creds);
	const held = [];
	window.webauthnCalls = [];
	window.cspViolations = [];
	document.addEventListener("securitypolicyviolation", (e) => {
		window.cspViolations.push(e.violatedDirective + " " + e.blockedURI);
	});
	const note = (kind, options) => {
		window.webauthnCalls.push({ kind, mediation: options?.mediation ?? "", stack: new Error().stack });
	};
	window.autofillProbe = {
		get waiting() {
			return held.length;
		},
		pick() {
			const r = held.shift();
			if (!r) {
				return false;
			}
			nativeGet(r.options).then(r.resolve, r.reject);
			return true;
		},
	};
	creds.create = (options) => {
		note("create", options);
		return nativeCreate(options);
	};
	creds.get = (options) => {
		note("get", options);
		if (options?.mediation !== "conditional") {
			return nativeGet(options);
		}
		return new Promise((resolve, reject) => {
			const signal = options.signal;
			if (signal?.aborted) {
				reject(signal.reason);
				return;
			}
			const r = { options, resolve, reject };
			signal?.addEventListener("abort", () => {
				const i = held.indexOf(r);
				if (i >= 0) {
					held.splice(i, 1);
					reject(signal.reason);
				}
			}, { once: true });
			held.push(r);
		});
	};
})();`

// page is a Chromium tab on the example's page, with the tab's virtual
// platform authenticator and any others the test adds.
type page struct {
	*exampletest.Tab
	t        *testing.T
	site     string
	platform webauthn.AuthenticatorID
}

// openPage starts Chromium with the probe and opens the site.
func openPage(t *testing.T, site string) *page {
	t.Helper()
	tab := exampletest.NewTab(t)
	_, err := chromedp.Call(tab.Ctx, cdppage.AddScriptToEvaluateOnNewDocument,
		cdppage.AddScriptToEvaluateOnNewDocumentParams{Source: probe})
	if err != nil {
		t.Fatalf("add the probe: %v", err)
	}
	p := &page{Tab: tab, t: t, site: site, platform: tab.Browser.Authenticator}
	p.Navigate(site + "/")
	return p
}

// typeUsername replaces the username field's text with name, typed key by
// key.
func (p *page) typeUsername(name string) {
	p.t.Helper()
	// chromedp.Clear resets the value attribute only, which a field that
	// was typed into ignores.
	p.Eval(`(document.getElementById("username").value = "", "")`)
	if name != "" {
		p.Type("username", name)
	}
	if got := p.Eval(`document.getElementById("username").value`); got != name {
		p.t.Fatalf("username field holds %q, want %q", got, name)
	}
}

// ready is the JavaScript condition that no action runs: the buttons are
// enabled again.
const ready = `!document.getElementById("sign-out").disabled && !document.getElementById("sign-in").disabled`

// waitSignedOut waits until the page offers sign-in and sign-up, ready to
// be clicked, with its autofill request waiting.
func (p *page) waitSignedOut() {
	p.t.Helper()
	p.Until("the signed-out page with its autofill waiting", `!document.getElementById("signed-out").hidden && `+
		ready+` && window.autofillProbe.waiting === 1`)
}

// waitSignedIn waits until the page says name is signed in, lists its
// passkeys, and has no autofill request left waiting: the ceremony that
// signed in replaced it.
func (p *page) waitSignedIn(name string) {
	p.t.Helper()
	p.Until("signed in as "+name, fmt.Sprintf(`!document.getElementById("signed-in").hidden && %s && `+
		`document.getElementById("who").textContent === %s && window.autofillProbe.waiting === 0`,
		ready, strconv.Quote("Signed in as "+name)))
}

// waitMessage waits until the page shows an error with code, no action
// running, and returns its text.
func (p *page) waitMessage(code string) string {
	p.t.Helper()
	p.Until("the message "+code, fmt.Sprintf(`!document.getElementById("message").hidden && `+
		`document.getElementById("message").dataset.code === %s && %s`, strconv.Quote(code), ready))
	return p.Text("message")
}

// noMessage fails the test if the page shows an error.
func (p *page) noMessage() {
	p.t.Helper()
	if p.Eval(`String(document.getElementById("message").hidden)`) != "true" {
		p.t.Fatalf("the page shows %q (%s)", p.Text("message"), p.Eval(`document.getElementById("message").dataset.code ?? ""`))
	}
}

// signOut clicks "Sign out" and waits until the page is signed out with its
// autofill armed.
func (p *page) signOut() {
	p.t.Helper()
	p.ClickInPage("sign-out")
	p.waitSignedOut()
}

// pickFromAutofill hands the page's waiting autofill request to the
// browser, as a person picking the passkey from the suggestions does.
func (p *page) pickFromAutofill() {
	p.t.Helper()
	if p.Eval(`String(window.autofillProbe.pick())`) != "true" {
		p.t.Fatal("no autofill request to answer")
	}
}

// rows lists the credential IDs of the page's passkey table, in order.
func (p *page) rows() []string {
	p.t.Helper()
	s := p.Eval(`[...document.querySelectorAll("#passkey-rows tr")].map((tr) => tr.dataset.credentialId).join(" ")`)
	return strings.Fields(s)
}

// waitRows waits until the passkey table has n rows and no action runs.
func (p *page) waitRows(n int) []string {
	p.t.Helper()
	p.Until(fmt.Sprintf("%d passkeys in the table", n), fmt.Sprintf(
		`document.querySelectorAll("#passkey-rows tr").length === %d && %s`, n, ready))
	return p.rows()
}

// clickRemove clicks the Remove button of credID's row.
func (p *page) clickRemove(credID string) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.Ctx, exampletest.WaitLimit)
	defer cancel()
	sel := chromedp.CSS(fmt.Sprintf(`#passkey-rows tr[data-credential-id=%s] button.remove`, strconv.Quote(credID)))
	if err := chromedp.Do(ctx, chromedp.WaitEnabled(sel), chromedp.Click(sel)); err != nil {
		p.t.Fatalf("click Remove of %s: %v", credID, err)
	}
}

// fetch calls the site's API from the page, as its script does, and
// returns the status and the answer's code.
func (p *page) fetch(method, path string) (int, string) {
	p.t.Helper()
	init := `{ method: ` + strconv.Quote(method) + ` }`
	if method != "GET" {
		init = `{ method: ` + strconv.Quote(method) + `, headers: { "Content-Type": "application/json" }, body: "{}" }`
	}
	out := p.Eval(`fetch(` + strconv.Quote(path) + `, ` + init + `).then(async (r) => ` +
		`r.status + " " + ((await r.json().catch(() => ({}))).code ?? ""))`)
	status, code, _ := strings.Cut(out, " ")
	n, err := strconv.Atoi(status)
	if err != nil {
		p.t.Fatalf("%s %s from the page: %q", method, path, out)
	}
	return n, code
}

// webauthnCall is one navigator.credentials call the probe noted.
type webauthnCall struct {
	Kind      string `json:"kind"`
	Mediation string `json:"mediation"`
	Stack     string `json:"stack"`
}

// webauthnCalls lists the WebAuthn calls the page made since it loaded.
func (p *page) webauthnCalls() []webauthnCall {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.Ctx, exampletest.WaitLimit)
	defer cancel()
	calls, err := chromedp.Run(ctx, chromedp.Evaluate[[]webauthnCall](`window.webauthnCalls`))
	if err != nil {
		p.t.Fatalf("read the WebAuthn calls: %v", err)
	}
	return calls
}

// cspViolations lists the policy violations the page reported.
func (p *page) cspViolations() []string {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.Ctx, exampletest.WaitLimit)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`window.cspViolations`))
	if err != nil {
		p.t.Fatalf("read the CSP violations: %v", err)
	}
	return v
}

// cookies returns the site's cookies in the browser, by name.
func (p *page) cookies() map[string]*network.Cookie {
	p.t.Helper()
	res, err := chromedp.Call(p.Ctx, network.GetCookies, network.GetCookiesParams{URLs: []string{
		p.site + "/", p.site + "/api/passkeys/register/start",
	}})
	if err != nil {
		p.t.Fatal(err)
	}
	out := map[string]*network.Cookie{}
	for _, c := range res.Cookies {
		out[c.Name] = c
	}
	return out
}

// addSecurityKey plugs in a second authenticator: a roaming (USB)
// security key that holds passkeys and verifies the user.
func (p *page) addSecurityKey() webauthn.AuthenticatorID {
	p.t.Helper()
	res, err := chromedp.Call(p.Ctx, webauthn.AddVirtualAuthenticator, webauthn.AddVirtualAuthenticatorParams{
		Options: &webauthn.VirtualAuthenticatorOptions{
			Protocol: webauthn.AuthenticatorProtocolCtap2, Ctap2version: webauthn.Ctap2versionCtap21,
			Transport: webauthn.AuthenticatorTransportUsb, HasResidentKey: true,
			HasUserVerification: true, IsUserVerified: true, AutomaticPresenceSimulation: true,
		},
	})
	if err != nil {
		p.t.Fatalf("add a virtual security key: %v", err)
	}
	return res.AuthenticatorID
}

// use makes auth the one authenticator that answers: the others wait for a
// touch that never comes, as an authenticator the person does not use.
// With two authenticators answering at once, which one the browser takes
// would be a race.
func (p *page) use(auth webauthn.AuthenticatorID, others ...webauthn.AuthenticatorID) {
	p.t.Helper()
	for _, a := range append([]webauthn.AuthenticatorID{auth}, others...) {
		if _, err := chromedp.Call(p.Ctx, webauthn.SetAutomaticPresenceSimulation,
			webauthn.SetAutomaticPresenceSimulationParams{AuthenticatorID: a, Enabled: a == auth}); err != nil {
			p.t.Fatalf("presence of %s: %v", a, err)
		}
	}
}

// setUserVerified makes auth verify the user (PIN, biometrics) or fail to.
func (p *page) setUserVerified(auth webauthn.AuthenticatorID, ok bool) {
	p.t.Helper()
	if _, err := chromedp.Call(p.Ctx, webauthn.SetUserVerified,
		webauthn.SetUserVerifiedParams{AuthenticatorID: auth, IsUserVerified: ok}); err != nil {
		p.t.Fatalf("set user verified %v: %v", ok, err)
	}
}

// credentials lists the credential IDs (base64url) auth holds.
func (p *page) credentials(auth webauthn.AuthenticatorID) []string {
	p.t.Helper()
	res, err := chromedp.Call(p.Ctx, webauthn.GetCredentials, webauthn.GetCredentialsParams{AuthenticatorID: auth})
	if err != nil {
		p.t.Fatalf("get credentials: %v", err)
	}
	var ids []string
	for _, c := range res.Credentials {
		ids = append(ids, b64url(c.CredentialID))
	}
	return ids
}

func b64url(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }
