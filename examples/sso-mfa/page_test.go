package main

import (
	"html"
	"regexp"

	"github.com/passbridge/passbridge/examples/internal/exampletest"
)

// page is where the browser ended: a page, or a redirect it stopped at.
type page struct{ exampletest.Page }

// state is the example page's data-state: signed-out, password-only or
// signed-in ("" on other pages).
func (p page) state() string {
	m := regexp.MustCompile(`<main data-state="([^"]*)"`).FindStringSubmatch(p.Body)
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
	m := regexp.MustCompile(`id="refusal" role="alert">([^<]*)<`).FindStringSubmatch(p.Body)
	if m == nil {
		return ""
	}
	return html.UnescapeString(m[1])
}
