// Package loadflow drives passbridge's flows over HTTP as real clients do:
// a backend with its API key, a browser with its cookie jar and a passkey
// provider (the software authenticator of ceremony/softauthn), and an OpenID
// Connect relying party that checks the ID token it gets.
//
// A [Flow] is one of the flows by name ([FlexRegister], [FlexAuth],
// [Discoverable], [BYOAuth], [OIDC], [OIDCSSO]) against a [Target]. Its
// users are virtual users: each has one cookie jar and one authenticator, set
// up by [Flow.NewUser] (a passkey registered, a session signed in) so that
// [User.Run] runs one iteration of the flow and reports the time of each of
// its steps to a [Recorder]. Users are safe for concurrent use, so a load
// generator may run more workers than users.
//
// Every answer other than the one the flow expects is an error naming the
// step, the HTTP status and the code of the body ([StepError]).
//
// The package talks only to the public wire (DESIGN §4, §5, §6): it imports
// nothing of the server, so a load generator, a budget test and a server on
// another host all drive the same calls.
package loadflow
