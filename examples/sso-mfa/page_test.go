package main

import (
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

// page is where the browser ended: a page, or a redirect it stopped at.
type page struct {
	status int
	url    *url.URL
	header http.Header
	body   string
}

// location is where a redirect the browser stopped at points.
func (p page) location(t *testing.T) *url.URL {
	t.Helper()
	loc, err := url.Parse(p.header.Get("Location"))
	if err != nil || p.status < 300 || p.status > 399 {
		t.Fatalf("not a redirect: %d %s %v", p.status, p.url, err)
	}
	return p.url.ResolveReference(loc)
}

// claim is the ID token claim the example's page shows (auth_time: its
// datetime attribute).
func (p page) claim(t *testing.T, name string) string {
	t.Helper()
	m := regexp.MustCompile(`<dd data-claim="` + name + `">(?:<time datetime="([^"]*)">)?([^<]*)`).FindStringSubmatch(p.body)
	if m == nil {
		t.Fatalf("the page shows no %s: %d %s %s", name, p.status, p.url, p.summary())
	}
	if m[1] != "" {
		return m[1]
	}
	return html.UnescapeString(m[2])
}

// authTime is the auth_time the page shows.
func (p page) authTime(t *testing.T) time.Time {
	t.Helper()
	at, err := time.Parse(time.RFC3339, p.claim(t, "auth_time"))
	if err != nil {
		t.Fatal(err)
	}
	return at
}

// state is the example page's data-state: signed-out, password-only or
// signed-in ("" on other pages).
func (p page) state() string {
	m := regexp.MustCompile(`<main data-state="([^"]*)"`).FindStringSubmatch(p.body)
	if m == nil {
		return ""
	}
	return m[1]
}

// signedIn says whether the page is the example's page of an
// MFA-complete session.
func (p page) signedIn() bool { return p.state() == stateSignedIn }

// signedOut says whether the page is the example's sign-in form.
func (p page) signedOut() bool { return p.state() == stateSignedOut }

// refusal is the sign-in form's refusal ("" if none).
func (p page) refusal() string {
	m := regexp.MustCompile(`id="refusal" role="alert">([^<]*)<`).FindStringSubmatch(p.body)
	if m == nil {
		return ""
	}
	return html.UnescapeString(m[1])
}

// errorCode is the code of the example's error page ("" on other pages).
func (p page) errorCode() string {
	m := regexp.MustCompile(`id="error" data-code="([^"]*)"`).FindStringSubmatch(p.body)
	if m == nil {
		return ""
	}
	return m[1]
}

// field is the value of the hidden form field name.
func (p page) field(t *testing.T, name string) string {
	t.Helper()
	m := regexp.MustCompile(`name="` + name + `" value="([^"]*)"`).FindStringSubmatch(p.body)
	if m == nil {
		t.Fatalf("the page has no field %s: %s", name, p.summary())
	}
	return html.UnescapeString(m[1])
}

// summary is the page's text, shortened, for failure reports.
func (p page) summary() string {
	text := regexp.MustCompile(`(?s)<head>.*</head>|<[^>]*>`).ReplaceAllString(p.body, " ")
	text = strings.Join(strings.Fields(html.UnescapeString(text)), " ")
	if len(text) > 300 {
		text = text[:300] + "…"
	}
	return text
}
