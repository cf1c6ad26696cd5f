package main

import (
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"sync"
	"time"
)

// flowLifetime is how long a sign-in may take, from /login to the
// callback: the passkey ceremony included.
const flowLifetime = 10 * time.Minute

// maxFlows bounds the sign-ins in progress kept in memory, so that a
// client calling /login in a loop cannot grow them without end.
const maxFlows = 10000

// flow is one sign-in in progress: what /login sent passbridge and must
// find again at the callback. It lives on the server; the browser holds
// only its random ID, in a cookie.
type flow struct {
	state    string // OAuth 2.0 state (RFC 6749 §10.12): the callback is this flow's
	nonce    string // OIDC Core §3.1.2.1: the ID token is this flow's
	verifier string // PKCE (RFC 7636): only this app can redeem the code
	started  time.Time
	// A step-up asks for a fresh ceremony of the signed-in user; the
	// callback checks that it got one.
	stepUp    bool
	sessionID string // the session being confirmed
	sub       string // its user
	acr       string // the acr asked for
}

// flows are the sign-ins in progress, by ID.
type flows struct {
	mu   sync.Mutex
	byID map[string]flow
	now  func() time.Time
}

func newFlows(now func() time.Time) *flows {
	return &flows{byID: map[string]flow{}, now: now}
}

var (
	errTooManyFlows = errors.New("too many sign-ins in progress")
	errNoFlow       = errors.New("no sign-in in progress")
	errWrongState   = errors.New("state does not match")
)

// add keeps f and returns its new random ID.
func (fs *flows) add(f flow) (string, error) {
	now := fs.now()
	f.started = now
	id := rand.Text()
	fs.mu.Lock()
	defer fs.mu.Unlock()
	for k, v := range fs.byID {
		if fs.expired(v, now) {
			delete(fs.byID, k)
		}
	}
	if len(fs.byID) >= maxFlows {
		return "", errTooManyFlows
	}
	fs.byID[id] = f
	return id, nil
}

// take returns flow id and forgets it, so that a callback is accepted once.
// A state that is not the flow's leaves the flow in place: an answer that
// is not this browser's must not cancel the sign-in it has under way.
func (fs *flows) take(id, state string) (flow, error) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	f, ok := fs.byID[id]
	if !ok || fs.expired(f, fs.now()) {
		delete(fs.byID, id)
		return flow{}, errNoFlow
	}
	if subtle.ConstantTimeCompare([]byte(state), []byte(f.state)) != 1 {
		return flow{}, errWrongState
	}
	delete(fs.byID, id)
	return f, nil
}

func (fs *flows) expired(f flow, now time.Time) bool {
	return now.Sub(f.started) > flowLifetime
}
