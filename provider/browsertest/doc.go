// Package browsertest runs passbridge's browser-facing parts in a real
// Chromium: the browser SDK served at /sdk/flex.js drives the Flex client API
// through WebAuthn ceremonies answered by a CDP virtual authenticator, the
// login and account pages run as a person uses them, and the backend side of
// each test speaks the management API and OpenID Connect over plain HTTP.
//
// Besides its tests, the package offers Start and AddSecurityKey, which
// other packages' browser tests use to launch Chromium with virtual
// authenticators. The tests carry the e2e build tag and need Chromium at
// /usr/bin/chromium (Debian's chromium package), skipping without it:
//
//	go test -tags e2e ./provider/browsertest/
//
// `make e2e` runs them with the other packages' browser tests. The tests
// that run on both store engines skip their PostgreSQL half, visibly,
// unless PASSBRIDGE_TEST_POSTGRES_DSN is set. TestBrowserScreenshots checks
// the README's screenshots in docs/screenshots; with -update it takes them
// again.
package browsertest
