// Package oidcspa holds the tests of the oidc-spa example, a single-page app
// (plain JavaScript, oidc-client-ts) served by a small Node.js server: they
// run it against a real passbridge in headless Chromium. The example itself
// is the JavaScript beside this file; see README.md.
package oidcspa
