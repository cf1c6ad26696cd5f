// Package enrol is the page that redeems an enrolment link: an
// administrator issues a single-use link (ceremony.CreateEnrolmentLink,
// through the admin or Flex API or the CLI), and the user who opens it
// registers a new passkey and is signed in.
//
//	GET  /enrol?token=…     the page, or a page that says why the link cannot be used
//	POST /enrol/transaction {"token"}: a register transaction bound to the link
//	POST /enrol/complete    {"token", "nonce"}: sign in → {"redirect": the account page}
//
// The page's script runs the registration through the Flex client API, as
// the login page does. Opening the page spends nothing, so a link preview
// does not burn the link: the registration's finish consumes it, in the
// same store transaction as the new passkey, so of two tabs of one link
// only one keeps its passkey.
package enrol
