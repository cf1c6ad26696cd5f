package main

import (
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"sync"
	"time"
)

// flowLifetime is how long the passkey step may take, from the redirect to
// passbridge to the callback: the ceremony included.
const flowLifetime = 10 * time.Minute

// maxFlows bounds the passkey steps in progress kept in memory.
const maxFlows = 10000

// purpose is what a trip to passbridge is for.
type purpose int

const (
	// purposeEnrol adds the user's first passkey (prompt=create with a
	// signed request object).
	purposeEnrol purpose = iota + 1
	// purposeSignIn is the passkey step of a sign-in (step-up).
	purposeSignIn
	// purposeSensitive confirms a sensitive action (step-up).
	purposeSensitive
)

// flow is one trip to passbridge in progress: what the app sent and must
// find again at the callback. It lives on the server; the browser holds
// only its random ID, in a cookie.
type flow struct {
	purpose  purpose
	state    string // OAuth 2.0 state (RFC 6749 §10.12): the callback is this flow's
	nonce    string // OIDC Core §3.1.2.1: the ID token is this flow's
	verifier string // PKCE (RFC 7636): only this app can redeem the code
	started  time.Time
	// sessionID and userID are the session and user the passkey must be
	// for: the ID token's sub must be userID.
	sessionID, userID string
}

// flows are the trips to passbridge in progress, by ID.
type flows struct {
	mu   sync.Mutex
	byID map[string]flow
	now  func() time.Time
}

func newFlows(now func() time.Time) *flows {
	return &flows{byID: map[string]flow{}, now: now}
}

var (
	errTooManyFlows = errors.New("too many passkey steps in progress")
	errNoFlow       = errors.New("no passkey step in progress")
	errWrongState   = errors.New("state does not match")
)

// add keeps f and returns its new random ID.
func (fs *flows) add(f flow) (string, flow, error) {
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
		return "", flow{}, errTooManyFlows
	}
	fs.byID[id] = f
	return id, f, nil
}

// take returns flow id and forgets it, so that a callback is accepted once.
// A state that is not the flow's leaves the flow in place: an answer that
// is not this browser's must not cancel the step it has under way.
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
