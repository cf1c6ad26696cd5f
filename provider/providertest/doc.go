// Package providertest builds, for tests, the whole server as serve builds it
// (signing keys, every area of the public surface: the Flex and start/finish
// APIs, the SDK, the OpenID Connect provider, the login and account pages)
// over real HTTP on http://localhost:PORT, and a browser to drive it: a
// cookie jar and a software authenticator that runs the Flex client API's
// ceremonies as the pages' scripts do.
//
// It is ordinary (non-test) code so that the tests of passbridge's packages
// and of its examples can import it.
package providertest
