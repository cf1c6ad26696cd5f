//go:build e2e

package flexnode

import (
	"context"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"

	"github.com/passbridge/passbridge/examples/internal/exampletest"
)

// page is the example's page in a Chromium tab with a virtual platform
// authenticator, driven as a person drives it.
type page struct {
	*exampletest.Tab
	auth webauthn.AuthenticatorID
}

// openPage starts Chromium, installs the test's instrumentation (the
// autofill probe and a record of Content-Security-Policy violations) and
// opens url.
func openPage(t *testing.T, url string) *page {
	t.Helper()
	tab := exampletest.NewTab(t)
	_, err := chromedp.Call(tab.Ctx, cdppage.AddScriptToEvaluateOnNewDocument, cdppage.AddScriptToEvaluateOnNewDocumentParams{
		Source: autofillProbe + cspRecorder,
	})
	if err != nil {
		t.Fatalf("add the test's scripts: %v", err)
	}
	tab.Navigate(url)
	return &page{Tab: tab, auth: tab.Browser.Authenticator}
}

// autofillProbe is the person in front of the username field's autofill.
// It wraps navigator.credentials.get before the page's scripts run and
// holds every request with mediation "conditional" (the page's autofill
// sign-in) as a person who has not opened the autofill does, until the test
// calls window.autofillProbe.pick(): then the request goes to the browser,
// whose virtual authenticator answers it, as when a person picks the
// passkey from the suggestions. An abort (a button's ceremony replacing the
// request) rejects a held request with the signal's reason, as the browser
// would. Chromium's virtual authenticator answers conditional requests at
// once, so without the probe a signed-out page would never stay signed out.
const autofillProbe = `(() => {
	const nativeGet = navigator.credentials.get.bind(navigator.credentials);
	const held = [];
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
	navigator.credentials.get = (options) => {
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

// cspRecorder keeps every Content-Security-Policy violation the page
// causes, so the test can check that the strict policy blocks nothing the
// page needs.
const cspRecorder = `window.cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
	window.cspViolations.push(e.effectiveDirective + " " + e.blockedURI);
});`

// until waits until the JavaScript condition cond holds in the page, and
// fails with what the page shows when it does not.
func (p *page) until(t *testing.T, what, cond string) {
	t.Helper()
	deadline := time.Now().Add(exampletest.WaitLimit)
	for p.State(`(`+cond+`) ? "yes" : ""`) != "yes" {
		if time.Now().After(deadline) {
			t.Fatalf("waited in vain for %s; the page shows %q", what, p.describe())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// describe says what the page shows, for failure reports.
func (p *page) describe() string {
	return p.State(`(() => {
		const $ = (id) => document.getElementById(id);
		const shown = ["loading", "signed-out", "signed-in", "status", "message"].filter((id) => $(id) && !$(id).hidden && $(id).textContent.trim());
		const busy = $("sign-in")?.disabled ? " (buttons disabled)" : "";
		return shown.map((id) => id + ": " + $(id).textContent.replace(/\s+/g, " ").trim()).join(" | ") + busy;
	})()`)
}

// typeUsername replaces the username field's text with name, key by key.
func (p *page) typeUsername(t *testing.T, name string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(p.Ctx, exampletest.WaitLimit)
	defer cancel()
	// chromedp.Clear resets the value attribute only, which a field that
	// was typed into ignores.
	clear := chromedp.Evaluate[chromedp.Void](`document.getElementById("username").value = ""`)
	steps := []chromedp.Action[chromedp.Void]{clear}
	if name != "" {
		steps = append(steps, chromedp.SendKeys(chromedp.ID("username"), name))
	}
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("type %q: %v", name, err)
	}
}

// waitSignedOut waits until the page offers sign-in and sign-up, ready to
// be clicked, with its autofill sign-in waiting.
func (p *page) waitSignedOut(t *testing.T) {
	t.Helper()
	p.until(t, "the signed-out page with its autofill armed",
		`!document.getElementById("signed-out").hidden && !document.getElementById("sign-in").disabled && `+
			`window.autofillProbe.waiting > 0`)
}

// waitSignedIn waits until the page says username is signed in and no
// autofill request is left waiting: the ceremony that signed in aborted it.
func (p *page) waitSignedIn(t *testing.T, username string) {
	t.Helper()
	p.until(t, "signed in as "+username, fmt.Sprintf(
		`!document.getElementById("signed-in").hidden && !document.getElementById("sign-out").disabled && `+
			`document.getElementById("who").textContent === %s && window.autofillProbe.waiting === 0`,
		strconv.Quote("Signed in as "+username)))
}

// waitMessage waits until the page shows an error with code, and returns
// its text.
func (p *page) waitMessage(t *testing.T, code string) string {
	t.Helper()
	p.until(t, "an error "+code, fmt.Sprintf(
		`!document.getElementById("message").hidden && document.getElementById("message").dataset.code === %s && `+
			`!document.getElementById("sign-in").disabled`, strconv.Quote(code)))
	return p.Text("message")
}

// waitStatus waits until the page's status line says text and no action
// runs.
func (p *page) waitStatus(t *testing.T, text string) {
	t.Helper()
	p.until(t, "the status "+strconv.Quote(text), fmt.Sprintf(
		`document.getElementById("status").textContent === %s && !document.getElementById("sign-out").disabled`,
		strconv.Quote(text)))
}

// signOut clicks "Sign out" and waits until the page is signed out.
func (p *page) signOut(t *testing.T) {
	t.Helper()
	p.ClickInPage("sign-out")
	p.waitSignedOut(t)
}

// pickFromAutofill hands the page's waiting autofill request to the
// browser, as a person picking the passkey from the suggestions does.
func (p *page) pickFromAutofill(t *testing.T) {
	t.Helper()
	if p.Eval(`String(window.autofillProbe.pick())`) != "true" {
		t.Fatal("no autofill request to answer")
	}
}

// deviceRow is one row of the page's passkey table, as shown.
type deviceRow struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	Type      string `json:"type"`
	Uses      string `json:"uses"`
	Used      string `json:"used"`
	Removable bool   `json:"removable"` // its Remove button is enabled
	IconSrc   string `json:"icon_src"`  // the <img>'s src: the light icon or the generic one
	DarkIcon  string `json:"dark_icon"` // the dark <source>'s srcset, if any
	Loaded    bool   `json:"loaded"`    // the browser shows the icon
}

// waitRows waits until the passkey table has n rows and no action runs,
// and reads it.
func (p *page) waitRows(t *testing.T, n int) []deviceRow {
	t.Helper()
	p.until(t, fmt.Sprintf("%d passkeys in the table", n), fmt.Sprintf(
		`document.querySelectorAll("#device-rows tr").length === %d && !document.getElementById("sign-out").disabled && `+
			`[...document.querySelectorAll("#device-rows img")].every((img) => img.complete)`, n))
	ctx, cancel := context.WithTimeout(p.Ctx, exampletest.WaitLimit)
	defer cancel()
	rows, err := chromedp.Run(ctx, chromedp.Evaluate[[]deviceRow](`[...document.querySelectorAll("#device-rows tr")].map((tr) => {
		const text = (sel) => tr.querySelector(sel)?.textContent.trim() ?? "";
		const img = tr.querySelector("td.icon picture img");
		return {
			id: tr.dataset.deviceId, name: text(".name"), type: text("td.type"), uses: text("td.uses"), used: text("td.used"),
			removable: !tr.querySelector("button.remove").disabled,
			icon_src: img?.getAttribute("src") ?? "", dark_icon: tr.querySelector("td.icon picture source")?.srcset ?? "",
			loaded: !!img && img.complete && img.naturalWidth > 0,
		};
	})`))
	if err != nil {
		t.Fatalf("read the passkey table: %v", err)
	}
	return rows
}

// clickRow clicks the button of class button in the table row of device id.
func (p *page) clickRow(t *testing.T, id, button string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(p.Ctx, exampletest.WaitLimit)
	defer cancel()
	sel := chromedp.CSS(fmt.Sprintf(`#device-rows tr[data-device-id=%s] button.%s`, strconv.Quote(id), button))
	if err := chromedp.Do(ctx, chromedp.WaitEnabled(sel), chromedp.Click(sel)); err != nil {
		t.Fatalf("click %s: %v", sel, err)
	}
}

// fetchStatus makes a call to the site's API from the page, as its script
// does, and returns the status and the answer's code.
func (p *page) fetchStatus(t *testing.T, method, path string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(p.Ctx, exampletest.WaitLimit)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[struct {
		Status int    `json:"status"`
		Code   string `json:"code"`
	}](fmt.Sprintf(`fetch(%s, { method: %s }).then(async (r) => ({ status: r.status, code: (await r.json().catch(() => ({}))).code ?? "" }))`,
		strconv.Quote(path), strconv.Quote(method)), chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("%s %s from the page: %v", method, path, err)
	}
	return v.Status, v.Code
}

// credentials lists what the tab's virtual authenticator holds.
func (p *page) credentials(t *testing.T) []*webauthn.Credential {
	t.Helper()
	res, err := chromedp.Call(p.Ctx, webauthn.GetCredentials, webauthn.GetCredentialsParams{AuthenticatorID: p.auth})
	if err != nil {
		t.Fatalf("get credentials: %v", err)
	}
	return res.Credentials
}

// switchDevice replaces the tab's virtual authenticator with a new one
// holding creds (none: empty), as a person who moves to another device:
// the browser offers only the new one's passkeys.
func (p *page) switchDevice(t *testing.T, creds ...*webauthn.Credential) {
	t.Helper()
	if _, err := chromedp.Call(p.Ctx, webauthn.RemoveVirtualAuthenticator,
		webauthn.RemoveVirtualAuthenticatorParams{AuthenticatorID: p.auth}); err != nil {
		t.Fatalf("remove virtual authenticator: %v", err)
	}
	res, err := chromedp.Call(p.Ctx, webauthn.AddVirtualAuthenticator, webauthn.AddVirtualAuthenticatorParams{
		Options: &webauthn.VirtualAuthenticatorOptions{
			Protocol: webauthn.AuthenticatorProtocolCtap2, Ctap2version: webauthn.Ctap2versionCtap21,
			Transport: webauthn.AuthenticatorTransportInternal, HasResidentKey: true,
			HasUserVerification: true, IsUserVerified: true, AutomaticPresenceSimulation: true,
			// cdproto always sends a credential's generateCmtgKeyOnNextOperation,
			// which Chromium takes only on an authenticator with the cmtgKey
			// extension.
			HasCmtgKey: true,
		},
	})
	if err != nil {
		t.Fatalf("add virtual authenticator: %v", err)
	}
	p.auth = res.AuthenticatorID
	for _, c := range creds {
		c := *c
		if len(c.CmtgKeys) == 0 {
			c.ActiveCmtgKeyIndex = nil // GetCredentials says 0 of none
		}
		if _, err := chromedp.Call(p.Ctx, webauthn.AddCredential,
			webauthn.AddCredentialParams{AuthenticatorID: p.auth, Credential: &c}); err != nil {
			t.Fatalf("add credential: %v", err)
		}
	}
}

// setUserVerified makes the authenticator verify the person, or fail to.
func (p *page) setUserVerified(t *testing.T, verified bool) {
	t.Helper()
	if _, err := chromedp.Call(p.Ctx, webauthn.SetUserVerified,
		webauthn.SetUserVerifiedParams{AuthenticatorID: p.auth, IsUserVerified: verified}); err != nil {
		t.Fatalf("set user verified %v: %v", verified, err)
	}
}

// cookie returns the site's cookie name in the browser, nil when absent.
func (p *page) cookie(t *testing.T, site, name string) *network.Cookie {
	t.Helper()
	res, err := chromedp.Call(p.Ctx, network.GetCookies, network.GetCookiesParams{URLs: []string{site + "/api/"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range res.Cookies {
		if c.Name == name {
			return c
		}
	}
	return nil
}
