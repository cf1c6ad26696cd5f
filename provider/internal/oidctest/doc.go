// Package oidctest builds, for tests, the whole server as serve builds it
// (signing keys, the OpenID Connect provider, the login and account pages,
// the Flex API) over real HTTP on http://localhost:PORT, and a browser to
// drive it: a cookie jar and a software authenticator that runs the Flex
// client API's ceremonies as the pages' scripts do.
//
// It is ordinary (non-test) code so that several packages' tests can import
// it; being internal, only packages under provider/ can.
package oidctest
