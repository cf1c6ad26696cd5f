//go:build e2e

package browsertest

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/passbridge/passbridge/storage"
)

// TestBrowserLoginErrorPages opens the sign-in page where it cannot sign
// in: an unknown auth request, one started in another browser, and an app
// whose passkey settings do not include the issuer's origin.
func TestBrowserLoginErrorPages(t *testing.T) {
	b := Start(t)
	e := newOIDCEnv(t)
	tb := newTab(t, b.Ctx, b.Authenticator)
	problems := consoleProblems(b.Ctx, false)

	for _, tc := range []struct {
		name    string
		tab     func(t *testing.T) (*tab, string) // the tab, and the URL it opens
		status  int64
		code    string
		heading string
	}{
		{
			name:   "unknown auth request",
			tab:    func(*testing.T) (*tab, string) { return tb, e.issuer + "/login?auth_request_id=no-such-request" },
			status: http.StatusNotFound, code: "auth_request_not_found", heading: "This sign-in has expired",
		},
		{
			name: "auth request of another browser",
			tab: func(t *testing.T) (*tab, string) {
				tb.setPresence(t, false)
				u, _ := e.authorizeURL(e.client, nil)
				tb.openLogin(t, u)
				// Another browser context: its own cookies, so not the
				// browser the auth request is bound to.
				return newBrowserTab(t, b.Ctx, true, false), tb.location(t)
			},
			status: http.StatusForbidden, code: "auth_request_of_another_browser", heading: "Started in another browser",
		},
		{
			name: "app not set up for the issuer",
			tab: func(t *testing.T) (*tab, string) {
				// A valid app of its own site, which the issuer's page cannot
				// run ceremonies for.
				app := e.createApp(t, "Elsewhere", func(a *storage.App) { a.RPID = "elsewhere.example" },
					"https://elsewhere.example")
				u, _ := e.authorizeURL(e.createClient(t, app), nil)
				return tb, u
			},
			status: http.StatusConflict, code: "app_misconfigured", heading: "Passkey sign-in is not set up",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			on, u := tc.tab(t)
			if status := on.navigate(t, u); status != tc.status {
				t.Errorf("status %d, want %d", status, tc.status)
			}
			p := on.errorPage(t)
			if p.Code != tc.code || p.Heading != tc.heading || p.Message == "" || p.Retry != "" {
				t.Errorf("error page %+v, want code %s, heading %q, a message, no retry link", p, tc.code, tc.heading)
			}
			if shown := eval[string](t, on, `document.querySelector(".code code")?.textContent ?? ""`); shown != tc.code {
				t.Errorf("error code shown %q", shown)
			}
		})
	}

	t.Run("signed out", func(t *testing.T) {
		tb.navigate(t, e.issuer+"/logged-out")
		if h := eval[string](t, tb, `document.querySelector("h1").textContent`); h != "You are signed out" {
			t.Errorf("heading %q", h)
		}
	})
	if p := problems(); len(p) > 0 {
		t.Errorf("console errors and warnings: %q", p)
	}
}

// TestBrowserLoginPageLooks checks what the sign-in page is made of and how
// it shows: no inline script or style and no Content-Security-Policy
// violation, labels, focus order and visible focus, AA contrast in light and
// dark, the page without JavaScript and in a browser without WebAuthn, and
// screenshots at desktop and phone widths, light and dark. The screenshots
// go to $PASSBRIDGE_SCREENSHOTS when set (to look at them), else to a
// temporary directory.
func TestBrowserLoginPageLooks(t *testing.T) {
	b := Start(t)
	e := newOIDCEnv(t)
	tb := newTab(t, b.Ctx, b.Authenticator)
	problems := consoleProblems(b.Ctx, true)
	dir := screenshotDir(t)
	tb.setPresence(t, false)

	t.Run("pages as served", func(t *testing.T) {
		u, _ := e.authorizeURL(e.client, nil)
		for _, tc := range []struct{ name, url, logo string }{
			{"login", u, shopLogo},
			{"login naming the user", u + "&login_hint=alice", shopLogo},
			{"error", e.issuer + "/login?auth_request_id=unknown", ""},
			{"signed out", e.issuer + "/logged-out", ""},
		} {
			t.Run(tc.name, func(t *testing.T) {
				res, body := fetchPage(t, tc.url)
				checkCSP(t, res.Header.Get("Content-Security-Policy"))
				checkMarkup(t, body, e.issuer, tc.logo)
			})
		}
	})

	u, _ := e.authorizeURL(e.client, nil)
	tb.openLogin(t, u)
	tb.waitFor(t, `document.querySelector("img.logo")?.complete && !document.getElementById("username-field").hidden`)

	t.Run("labels, focus order and visible focus", func(t *testing.T) {
		label := eval[string](t, tb, `document.getElementById("username").labels[0]?.textContent ?? ""`)
		if label != "Username or email" {
			t.Errorf("username label %q", label)
		}
		var order []string
		for range 3 {
			tb.do(t, "tab", chromedp.KeyEvent("\t"))
			order = append(order, eval[string](t, tb,
				`document.activeElement.id || document.activeElement.tagName.toLowerCase()`))
		}
		if strings.Join(order, ",") != "username,passkey,summary" {
			t.Errorf("focus order %v, want username, passkey, summary", order)
		}
		// Back on the button: its focus ring shows.
		tb.do(t, "focus", chromedp.KeyEvent("\t", chromedp.KeyModifiers(chromedp.ModifierShift)))
		ring := eval[string](t, tb, `(() => { const s = getComputedStyle(document.activeElement);
  return document.activeElement.id + " " + s.outlineStyle + " " + s.outlineWidth; })()`)
		if ring != "passkey solid 3px" {
			t.Errorf("focused button's outline: %q", ring)
		}
	})

	t.Run("contrast", func(t *testing.T) {
		for _, scheme := range []string{"light", "dark"} {
			setScheme(t, tb, scheme)
			for _, c := range contrasts(t, tb) {
				if c.Ratio < c.Min {
					t.Errorf("%s: %s %.2f:1, want at least %.1f:1", scheme, c.Pair, c.Ratio, c.Min)
				}
			}
		}
		setScheme(t, tb, "light")
	})

	t.Run("screenshots", func(t *testing.T) {
		plain := e.createApp(t, "Northwind Travel", nil, e.issuer)
		plainURL, _ := e.authorizeURL(e.createClient(t, plain), nil)
		hintURL, _ := e.authorizeURL(e.client, url.Values{"login_hint": {"alice"}})
		cancelledURL, _ := e.authorizeURL(e.client, nil)
		for _, shot := range []struct {
			name          string
			url           string // "": the page as it is
			width, height int64
			scheme        string
			cancel        bool // press the button, which this authenticator cannot answer
		}{
			{"login-desktop-light", "", 1280, 800, "light", false},
			{"login-desktop-dark", "", 1280, 800, "dark", false},
			{"login-phone-light", "", 390, 844, "light", false},
			{"login-phone-dark", "", 390, 844, "dark", false},
			{"login-hint-desktop-light", hintURL, 1280, 800, "light", false},
			{"login-plain-desktop-light", plainURL, 1280, 800, "light", false},
			{"login-plain-phone-dark", plainURL, 390, 844, "dark", false},
			{"login-cancelled-phone-light", cancelledURL, 390, 844, "light", true},
			{"login-cancelled-desktop-dark", "", 1280, 800, "dark", false},
		} {
			tb.do(t, "viewport", chromedp.EmulateViewport(shot.width, shot.height))
			setScheme(t, tb, shot.scheme)
			if shot.url != "" {
				tb.openLogin(t, shot.url)
				tb.waitFor(t, `!document.querySelector("img.logo") || document.querySelector("img.logo").complete`)
			}
			if shot.cancel {
				// The authenticator holds no passkey: the browser refuses.
				tb.setPresence(t, true)
				tb.do(t, "click", chromedp.Click(chromedp.ID("passkey")))
				tb.waitFor(t, `document.querySelector("#message p") && !document.getElementById("passkey").disabled`)
				tb.setPresence(t, false)
			}
			eval[bool](t, tb, `(document.activeElement?.blur(), true)`)
			saveScreenshot(t, tb, dir, shot.name)
		}
	})

	t.Run("no CSP violations, no console errors", func(t *testing.T) {
		if v := tb.violations(); len(v) > 0 {
			t.Errorf("CSP violations: %+v", v)
		}
		if p := problems(); len(p) > 0 {
			t.Errorf("console errors and warnings: %q", p)
		}
		// The probe does see a violation: a style attribute the policy
		// refuses.
		eval[bool](t, tb, `(document.body.insertAdjacentHTML("beforeend", '<p style="color: red"></p>'), true)`)
		// The event comes in a task of its own, and its report after it.
		for deadline := time.Now().Add(5 * time.Second); len(tb.violations()) == 0 && time.Now().Before(deadline); {
			time.Sleep(10 * time.Millisecond)
		}
		if v := tb.violations(); len(v) != 1 || v[0].Directive != "style-src-attr" {
			t.Errorf("probe reports %+v for an inline style, want one style-src-attr violation", v)
		}
	})

	t.Run("error page", func(t *testing.T) {
		tb.navigate(t, e.issuer+"/login?auth_request_id=unknown")
		saveScreenshot(t, tb, dir, "error-desktop-dark")
		setScheme(t, tb, "light")
		tb.do(t, "viewport", chromedp.EmulateViewport(390, 844))
		saveScreenshot(t, tb, dir, "error-phone-light")
	})

	t.Run("without JavaScript", func(t *testing.T) {
		nojs := newBrowserTab(t, b.Ctx, false, false)
		if _, err := chromedp.Call(nojs.ctx, emulation.SetScriptExecutionDisabled,
			emulation.SetScriptExecutionDisabledParams{Value: true}); err != nil {
			t.Fatal(err)
		}
		u, _ := e.authorizeURL(e.client, nil)
		nojs.navigate(t, u)
		// Script is off for the page, not for the test's own evaluation.
		shown := eval[string](t, nojs, `document.body.innerText`)
		if !strings.Contains(shown, "Signing in with a passkey needs JavaScript") {
			t.Errorf("page without JavaScript shows %q", shown)
		}
		if eval[bool](t, nojs, `document.getElementById("passkey").offsetParent !== null`) {
			t.Error("the button shows without JavaScript, where it cannot work")
		}
		saveScreenshot(t, nojs, dir, "login-nojs")
	})

	t.Run("browser without WebAuthn", func(t *testing.T) {
		old := newBrowserTab(t, b.Ctx, false, false)
		if _, err := chromedp.Call(old.ctx, page.AddScriptToEvaluateOnNewDocument,
			page.AddScriptToEvaluateOnNewDocumentParams{Source: "delete window.PublicKeyCredential;"}); err != nil {
			t.Fatal(err)
		}
		u, _ := e.authorizeURL(e.client, nil)
		old.openLogin(t, u)
		if m := old.message(t); m.Title != "This browser can't use passkeys" {
			t.Errorf("message %+v", m)
		}
		if hidden := eval[bool](t, old, `document.getElementById("complete").hidden`); !hidden {
			t.Error("the sign-in button is offered in a browser that cannot use it")
		}
		saveScreenshot(t, old, dir, "login-unsupported")
	})

}

// fetchPage GETs u as a browser does (cookies kept across the redirects)
// and returns the last answer and its body.
func fetchPage(t *testing.T, u string) (*http.Response, string) {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar}
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "text/html")
	res, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Fatalf("%s: Content-Type %q", res.Request.URL, ct)
	}
	return res, string(raw)
}

// checkCSP checks that the policy forbids inline script and style.
func checkCSP(t *testing.T, csp string) {
	t.Helper()
	directives := map[string]string{}
	for d := range strings.SplitSeq(csp, ";") {
		name, value, _ := strings.Cut(strings.TrimSpace(d), " ")
		directives[name] = value
	}
	for name, want := range map[string]string{
		"default-src": "'none'", "script-src": "'self'", "style-src": "'self'",
		"frame-ancestors": "'none'", "base-uri": "'none'",
	} {
		if directives[name] != want {
			t.Errorf("CSP %s %q, want %q (policy %q)", name, directives[name], want, csp)
		}
	}
}

// checkMarkup parses a page and checks that it has no inline script or
// style and loads nothing from elsewhere than the issuer but the app's logo.
func checkMarkup(t *testing.T, body, issuer, logo string) {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	scripts := 0
	for n := range doc.Descendants() {
		if n.Type != html.ElementNode {
			continue
		}
		attrs := map[string]string{}
		for _, a := range n.Attr {
			attrs[a.Key] = a.Val
			if strings.HasPrefix(a.Key, "on") {
				t.Errorf("<%s> has an event handler attribute %s", n.Data, a.Key)
			}
			if a.Key == "style" {
				t.Errorf("<%s> has an inline style attribute", n.Data)
			}
			if strings.HasPrefix(strings.ToLower(strings.TrimSpace(a.Val)), "javascript:") {
				t.Errorf("<%s %s> is a javascript: URL", n.Data, a.Key)
			}
		}
		switch n.Data {
		case "script":
			scripts++
			if attrs["src"] == "" || n.FirstChild != nil {
				t.Errorf("inline script: %v", attrs)
			}
			if !strings.HasPrefix(attrs["src"], issuer+"/static/") {
				t.Errorf("script from %q", attrs["src"])
			}
		case "style":
			t.Error("inline <style> element")
		case "link":
			if href := attrs["href"]; attrs["rel"] == "stylesheet" && !strings.HasPrefix(href, issuer+"/static/") {
				t.Errorf("style sheet from %q", href)
			}
		case "img":
			if attrs["src"] != logo || logo == "" {
				t.Errorf("image %q, want only the app's logo", attrs["src"])
			}
			if _, ok := attrs["alt"]; !ok {
				t.Error("image without alt")
			}
		}
	}
	if strings.Contains(body, `id="login"`) && scripts != 1 {
		t.Errorf("the sign-in page has %d scripts, want its one static script", scripts)
	}
	if !strings.Contains(body, `<html lang="en">`) {
		t.Error("page without a language")
	}
}

// setScheme emulates prefers-color-scheme.
func setScheme(t *testing.T, tb *tab, scheme string) {
	t.Helper()
	if _, err := chromedp.Call(tb.ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
		Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}},
	}); err != nil {
		t.Fatal(err)
	}
}

// contrast is one colour pair of the page's palette and its WCAG ratio.
type contrast struct {
	Pair  string  `json:"pair"`
	Ratio float64 `json:"ratio"`
	Min   float64 `json:"min"`
}

// contrasts computes the WCAG 2.2 contrast of the palette's pairs as the
// page has them now (the app's accent applied): text 4.5:1, component
// boundaries and the focus ring 3:1.
func contrasts(t *testing.T, tb *tab) []contrast {
	t.Helper()
	return eval[[]contrast](t, tb, `(() => {
  const style = getComputedStyle(document.documentElement);
  const hex = (name) => style.getPropertyValue(name).trim();
  const lum = (h) => {
    const [r, g, b] = [1, 3, 5].map((i) => {
      const c = parseInt(h.slice(i, i + 2), 16) / 255;
      return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const ratio = (a, b) => {
    const [x, y] = [lum(hex(a)), lum(hex(b))];
    return (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05);
  };
  return [
    ["--text", "--surface", 4.5], ["--text", "--bg", 4.5], ["--muted", "--surface", 4.5],
    ["--muted", "--bg", 4.5], ["--on-accent", "--accent", 4.5], ["--error-text", "--error-bg", 4.5],
    ["--field-border", "--field-bg", 3], ["--focus", "--surface", 3], ["--focus", "--bg", 3],
  ].map(([fg, bg, min]) => ({pair: fg + " on " + bg, ratio: ratio(fg, bg), min}));
})()`)
}
