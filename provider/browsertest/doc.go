// Package browsertest runs passbridge's browser-facing parts in a real
// Chromium: the browser SDK served at /sdk/flex.js drives the Flex client API
// through WebAuthn ceremonies answered by a CDP virtual authenticator, and the
// backend side of each test speaks the management API over plain HTTP.
//
// Besides its tests, the package offers Start, which other packages' browser
// tests use to launch Chromium with a virtual authenticator. The tests need
// Chromium at /usr/bin/chromium (Debian's chromium package) and skip without
// it; `make e2e` runs them (go test -run Browser).
package browsertest
