// Package apitest holds what the HTTP API tests under provider/ share: a
// settable clock, seeding an app with an API key, sending requests to a
// test server (chunked too) and reading the answer, the error-envelope
// checks, the check of the transports a ceremony's options allow, and a
// snapshot of the store to prove that a refused request changed nothing.
//
// It is ordinary (non-test) code so that several packages' tests can import
// it; being internal, only packages under provider/ can.
package apitest
