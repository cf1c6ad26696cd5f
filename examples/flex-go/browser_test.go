//go:build e2e

package main

import (
	"context"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"

	"github.com/passbridge/passbridge/examples/internal/exampletest"
	"github.com/passbridge/passbridge/provider/browsertest"
)

// page is one Chromium tab on the example's page, with a virtual
// authenticator. Its methods take the test (or step) they run in.
type page struct {
	ctx     context.Context
	browser *browsertest.Browser
	auth    webauthn.AuthenticatorID
}

// openPage launches a fresh headless Chromium (its own profile) with a
// virtual platform authenticator that holds resident keys and verifies the
// user, and opens url.
func openPage(t *testing.T, url string) *page {
	t.Helper()
	tab := exampletest.NewTab(t)
	// Test instrumentation, not part of the page: it stands in for the
	// person in front of the autofill (see autofillProbe).
	_, err := chromedp.Call(tab.Ctx, cdppage.AddScriptToEvaluateOnNewDocument, cdppage.AddScriptToEvaluateOnNewDocumentParams{
		Source: autofillProbe,
	})
	if err != nil {
		t.Fatalf("add the autofill probe: %v", err)
	}
	tab.Navigate(url)
	return &page{ctx: tab.Ctx, browser: tab.Browser, auth: tab.Browser.Authenticator}
}

// in runs fn with the page's tab for test t; when fn fails t, the log says
// what the page showed.
func (p *page) in(t *testing.T, fn func(tab *exampletest.Tab)) {
	t.Helper()
	done := false
	defer func() {
		if !done {
			t.Logf("the page shows %q", p.describe())
		}
	}()
	fn(&exampletest.Tab{T: t, Ctx: p.ctx, Browser: p.browser})
	done = true
}

// autofillProbe is the person in front of the username field's autofill.
// It wraps navigator.credentials.get before the page's scripts run and
// holds every request with mediation "conditional" (the page's autofill
// sign-in) as a person who has not opened the autofill does, until the test
// calls window.autofillProbe.pick(): then the request goes to the browser,
// whose virtual authenticator answers it with its passkey, as when a person
// picks it from the suggestions. An abort (a button's ceremony replacing
// the request) rejects a held request with the signal's reason, as the
// browser would. Chromium's virtual authenticator answers conditional
// requests at once, so without the probe a signed-out page would never stay
// signed out.
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

// typeUsername replaces the username field's text with name, typed key by
// key.
func (p *page) typeUsername(t *testing.T, name string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, exampletest.WaitLimit)
	defer cancel()
	field := chromedp.ID("username")
	// chromedp.Clear resets the value attribute only, which a field that
	// was typed into ignores.
	clear := chromedp.Evaluate[chromedp.Void](`document.getElementById("username").value = ""`)
	if err := chromedp.Do(ctx, clear, chromedp.SendKeys(field, name)); err != nil {
		t.Fatalf("type %q: %v", name, err)
	}
	if got, err := chromedp.Run(ctx, chromedp.Value(field)); err != nil || got != name {
		t.Fatalf("username field holds %q (%v), want %q", got, err, name)
	}
}

// click clicks the enabled button with id.
func (p *page) click(t *testing.T, id string) {
	t.Helper()
	p.in(t, func(tab *exampletest.Tab) { tab.ClickInPage(id) })
}

// waitSignedOut waits until the page offers sign-in and sign-up, ready to
// be clicked.
func (p *page) waitSignedOut(t *testing.T) {
	t.Helper()
	p.poll(t, "the signed-out page",
		`!document.getElementById("signed-out").hidden && !document.getElementById("sign-in").disabled`)
}

// waitSignedIn waits until the page says username is signed in and has no
// autofill request left waiting: the ceremony that signed in aborted it.
func (p *page) waitSignedIn(t *testing.T, username string) {
	t.Helper()
	p.poll(t, "signed in as "+username, fmt.Sprintf(
		`!document.getElementById("signed-in").hidden && !document.getElementById("sign-out").disabled && `+
			`document.getElementById("who").textContent === %s && window.autofillProbe.waiting === 0`,
		strconv.Quote("Signed in as "+username)))
}

// waitMessage waits until the page shows an error with code.
func (p *page) waitMessage(t *testing.T, code string) {
	t.Helper()
	p.poll(t, "an error "+code, fmt.Sprintf(
		`!document.getElementById("message").hidden && document.getElementById("message").dataset.code === %s`,
		strconv.Quote(code)))
}

// signOut clicks "Sign out" and waits until the page is signed out with its
// autofill sign-in armed.
func (p *page) signOut(t *testing.T) {
	t.Helper()
	p.click(t, "sign-out")
	p.waitSignedOut(t)
	p.waitAutofill(t)
}

// waitAutofill waits until the page has an autofill request waiting.
func (p *page) waitAutofill(t *testing.T) {
	t.Helper()
	p.poll(t, "a waiting autofill request", "window.autofillProbe.waiting > 0")
}

// pickFromAutofill hands the page's waiting autofill request to the
// browser, as a person picking the passkey from the suggestions does.
func (p *page) pickFromAutofill(t *testing.T) {
	t.Helper()
	if !p.evalBool(t, "window.autofillProbe.pick()") {
		t.Fatal("no autofill request to answer")
	}
}

// poll waits until the JavaScript expression is true in the page.
func (p *page) poll(t *testing.T, what, expr string) {
	t.Helper()
	p.in(t, func(tab *exampletest.Tab) { tab.Until(what, expr) })
}

// describe says what the page shows, for failure reports.
func (p *page) describe() string {
	ctx, cancel := context.WithTimeout(p.ctx, 2*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(() => {
		const $ = (id) => document.getElementById(id);
		const shown = ["loading", "signed-out", "signed-in", "message"].filter((id) => $(id) && !$(id).hidden);
		const busy = $("sign-in")?.disabled ? " (buttons disabled)" : "";
		return shown.map((id) => id + ": " + $(id).textContent.replace(/\s+/g, " ").trim()).join(" | ") + busy;
	})()`))
	if err != nil {
		return "unreadable: " + err.Error()
	}
	return s
}

// eval evaluates a JavaScript expression that yields a string.
func (p *page) eval(t *testing.T, expr string) string {
	t.Helper()
	var v string
	p.in(t, func(tab *exampletest.Tab) { v = tab.Eval(expr) })
	return v
}

// evalBool evaluates a JavaScript expression that yields a boolean.
func (p *page) evalBool(t *testing.T, expr string) bool {
	t.Helper()
	return p.eval(t, "String("+expr+")") == "true"
}

// meAnswer is what GET /api/me answers the page's browser, with its status.
type meAnswer struct {
	Status                  int        `json:"status"`
	Username                string     `json:"username"`
	Devices                 []meDevice `json:"devices"`
	DataDeletionConfirmedAt *string    `json:"data_deletion_confirmed_at"`
	Code                    string     `json:"code"`
}

// me asks the site's API who is signed in, with the browser's cookies, as
// the page does.
func (p *page) me(t *testing.T) meAnswer {
	t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, exampletest.WaitLimit)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[meAnswer](
		`fetch("/api/me").then(async (r) => ({ status: r.status, ...(await r.json()) }))`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("GET /api/me: %v", err)
	}
	return v
}

// credentials lists what the virtual authenticator holds.
func (p *page) credentials(t *testing.T) []*webauthn.Credential {
	t.Helper()
	res, err := chromedp.Call(p.ctx, webauthn.GetCredentials, webauthn.GetCredentialsParams{AuthenticatorID: p.auth})
	if err != nil {
		t.Fatalf("get credentials: %v", err)
	}
	return res.Credentials
}

// replaceAuthenticator swaps the tab's virtual authenticator for a new,
// empty one, as a person who moves to another device: the browser no longer
// offers the old one's passkeys.
func (p *page) replaceAuthenticator(t *testing.T) {
	t.Helper()
	if _, err := chromedp.Call(p.ctx, webauthn.RemoveVirtualAuthenticator,
		webauthn.RemoveVirtualAuthenticatorParams{AuthenticatorID: p.auth}); err != nil {
		t.Fatalf("remove virtual authenticator: %v", err)
	}
	res, err := chromedp.Call(p.ctx, webauthn.AddVirtualAuthenticator, webauthn.AddVirtualAuthenticatorParams{
		Options: &webauthn.VirtualAuthenticatorOptions{
			Protocol: webauthn.AuthenticatorProtocolCtap2, Ctap2version: webauthn.Ctap2versionCtap21,
			Transport: webauthn.AuthenticatorTransportInternal, HasResidentKey: true,
			HasUserVerification: true, IsUserVerified: true, AutomaticPresenceSimulation: true,
		},
	})
	if err != nil {
		t.Fatalf("add virtual authenticator: %v", err)
	}
	p.auth = res.AuthenticatorID
}

// setScheme makes the page's prefers-color-scheme "light" or "dark".
func (p *page) setScheme(t *testing.T, scheme string) {
	t.Helper()
	if _, err := chromedp.Call(p.ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
		Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}},
	}); err != nil {
		t.Fatalf("emulate prefers-color-scheme %s: %v", scheme, err)
	}
}

// reload loads the page again and waits until it shows username signed in.
func (p *page) reload(t *testing.T, username string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, exampletest.WaitLimit)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Reload()); err != nil {
		t.Fatalf("reload: %v", err)
	}
	p.waitSignedIn(t, username)
}

// cookie returns the value of the site's cookie name in the browser.
func (p *page) cookie(t *testing.T, site, name string) string {
	t.Helper()
	res, err := chromedp.Call(p.ctx, network.GetCookies, network.GetCookiesParams{URLs: []string{site + "/"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range res.Cookies {
		if c.Name == name {
			return c.Value
		}
	}
	t.Fatalf("no %s cookie", name)
	return ""
}

// deviceRow is one row of the page's passkey table, as shown.
type deviceRow struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	Type      string `json:"type"`
	Created   string `json:"created"`
	Used      string `json:"used"`
	Uses      string `json:"uses"`
	Removable bool   `json:"removable"` // its Remove button is enabled
	// The icon: the <img>'s src (the light icon, or the generic one), the
	// dark <source>'s media and srcset if any, and what the browser shows.
	IconSrc    string `json:"icon_src"`
	DarkMedia  string `json:"dark_media"`
	DarkSrcset string `json:"dark_srcset"`
	Shown      string `json:"shown"`
	Loaded     bool   `json:"loaded"`
}

// rows reads the page's passkey table.
func (p *page) rows(t *testing.T) []deviceRow {
	t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, exampletest.WaitLimit)
	defer cancel()
	rows, err := chromedp.Run(ctx, chromedp.Evaluate[[]deviceRow](`[...document.querySelectorAll("#device-rows tr")].map((tr) => {
		const text = (sel) => tr.querySelector(sel)?.textContent.trim() ?? "";
		const img = tr.querySelector("td.icon picture img");
		const source = tr.querySelector("td.icon picture source");
		return {
			id: tr.dataset.deviceId, name: text(".name"), type: text("td.type"), created: text("td.created"),
			used: text("td.used"), uses: text("td.uses"), removable: !tr.querySelector("button.remove").disabled,
			icon_src: img?.getAttribute("src") ?? "", dark_media: source?.media ?? "", dark_srcset: source?.srcset ?? "",
			shown: img?.currentSrc ?? "", loaded: !!img && img.complete && img.naturalWidth > 0,
		};
	})`))
	if err != nil {
		t.Fatalf("read the passkey table: %v", err)
	}
	return rows
}

// waitRows waits until the passkey table has n rows and no action runs.
func (p *page) waitRows(t *testing.T, n int) []deviceRow {
	t.Helper()
	p.poll(t, fmt.Sprintf("%d passkeys in the table", n), fmt.Sprintf(
		`document.querySelectorAll("#device-rows tr").length === %d && !document.getElementById("sign-out").disabled`, n))
	return p.rows(t)
}

// clickRow clicks the button of class button in the table row of device id.
func (p *page) clickRow(t *testing.T, id, button string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, exampletest.WaitLimit)
	defer cancel()
	sel := chromedp.CSS(fmt.Sprintf(`#device-rows tr[data-device-id=%s] button.%s`, strconv.Quote(id), button))
	if err := chromedp.Do(ctx, chromedp.WaitEnabled(sel), chromedp.Click(sel)); err != nil {
		t.Fatalf("click %s: %v (page shows %q)", sel, err, p.describe())
	}
}

// fetchStatus makes a call to the site's API from the page, as its script
// does, and returns the status and the answer's code.
func (p *page) fetchStatus(t *testing.T, method, path string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, exampletest.WaitLimit)
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
