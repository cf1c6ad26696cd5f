package main

import (
	"crypto/rand"
	"net/http"
	"sync"
	"time"
)

// sessionLifetime is how long a sign-in to this app lasts. It is the app's
// choice, not the ID token's lifetime: the token only proved who signed in.
const sessionLifetime = 8 * time.Hour

// session is one browser's sign-in to this app, kept on the server. The
// browser holds only its random ID.
type session struct {
	id      string
	claims  idClaims
	idToken string // the raw ID token, sent back as id_token_hint at sign-out
	csrf    string // the token the sign-out form must carry
	expires time.Time
	// stepUp is the last confirmation with a passkey, if any.
	stepUp *stepUp
}

// stepUp records a confirmation: auth_time before and after it.
type stepUp struct {
	From, To time.Time
}

// sessions are the app's sign-ins, in memory: a restart signs everyone
// out, which an example can afford.
type sessions struct {
	mu   sync.Mutex
	byID map[string]session
	now  func() time.Time
}

func newSessions(now func() time.Time) *sessions {
	return &sessions{byID: map[string]session{}, now: now}
}

// start keeps s under a new random ID and forgets the session it replaces,
// if any: a sign-in or a step-up always gets a fresh ID, so an ID known
// before it (session fixation) is worth nothing after.
func (ss *sessions) start(s session, replaces string) session {
	now := ss.now()
	s.id = rand.Text()
	s.csrf = rand.Text()
	s.expires = now.Add(sessionLifetime)
	ss.mu.Lock()
	defer ss.mu.Unlock()
	for k, v := range ss.byID {
		if !now.Before(v.expires) {
			delete(ss.byID, k)
		}
	}
	delete(ss.byID, replaces)
	ss.byID[s.id] = s
	return s
}

// get returns the live session id names.
func (ss *sessions) get(id string) (session, bool) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	s, ok := ss.byID[id]
	if !ok || !ss.now().Before(s.expires) {
		return session{}, false
	}
	return s, true
}

// end forgets session id.
func (ss *sessions) end(id string) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	delete(ss.byID, id)
}

// cookies sets and reads the app's cookies: HttpOnly (no script reads
// them), SameSite=Lax (sent on the top-level navigation back from
// passbridge, not on other sites' subrequests or form posts), and Secure
// with the __Host- prefix when the app is served over https, so that no
// other host of the site can set them.
type cookies struct {
	secure bool
}

// Cookie names, before the __Host- prefix.
const (
	sessionCookie = "oidcgo_session"
	flowCookie    = "oidcgo_flow"
	logoutCookie  = "oidcgo_logout"
)

func (c cookies) name(base string) string {
	if c.secure {
		return "__Host-" + base
	}
	return base
}

func (c cookies) set(w http.ResponseWriter, base, value string, maxAge time.Duration) {
	http.SetCookie(w, &http.Cookie{
		Name:     c.name(base),
		Value:    value,
		Path:     "/",
		MaxAge:   int(maxAge / time.Second),
		HttpOnly: true,
		Secure:   c.secure,
		SameSite: http.SameSiteLaxMode,
	})
}

func (c cookies) get(r *http.Request, base string) string {
	if ck, err := r.Cookie(c.name(base)); err == nil {
		return ck.Value
	}
	return ""
}

func (c cookies) clear(w http.ResponseWriter, base string) {
	http.SetCookie(w, &http.Cookie{
		Name:     c.name(base),
		Path:     "/",
		MaxAge:   -1,
		HttpOnly: true,
		Secure:   c.secure,
		SameSite: http.SameSiteLaxMode,
	})
}
