package main

import (
	"crypto/rand"
	"net/http"
	"sync"
	"time"
)

// Session lifetimes, the app's choice. A session that has only the
// password lives just long enough to finish the passkey step; one that
// passed it lasts a working day.
const (
	passwordOnlyLifetime = 10 * time.Minute
	sessionLifetime      = 8 * time.Hour
)

// maxSessions bounds the sessions kept in memory, so that a client posting
// the sign-in form in a loop cannot grow them without end.
const maxSessions = 100000

// session is one browser's sign-in to this app, kept on the server; the
// browser holds only its random ID.
type session struct {
	id   string
	csrf string // the token the page's forms must carry
	// userID is the app's user; name is what the page calls them.
	userID, name string
	passwordAt   time.Time
	// mfa is the passkey step's proof; nil while the session has the
	// password only, which lets it do nothing but that step.
	mfa *passkeyProof
	// idToken is the last ID token, sent back as id_token_hint at sign-out.
	idToken string
	// sensitiveAt is when the last sensitive action was confirmed.
	sensitiveAt time.Time
	expires     time.Time
}

// mfaComplete says whether the session passed the passkey step.
func (s session) mfaComplete() bool { return s.mfa != nil }

// passkeyProof is what passbridge's verified ID token said about the
// passkey ceremony.
type passkeyProof struct {
	AuthTime time.Time
	ACR      string
	AMR      []string
	SID      string
	// Enrolled: the ceremony added the user's first passkey.
	Enrolled bool
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

// start keeps s under a new random ID and CSRF token, for lifetime, and
// forgets the session it replaces, if any. Every change of what a session
// proves (the password, the passkey) gets a new ID, so that an ID known
// before it (session fixation) is worth nothing after.
func (ss *sessions) start(s session, replaces string, lifetime time.Duration) (session, bool) {
	now := ss.now()
	s.id = rand.Text()
	s.csrf = rand.Text()
	s.expires = now.Add(lifetime)
	ss.mu.Lock()
	defer ss.mu.Unlock()
	delete(ss.byID, replaces)
	if len(ss.byID) >= maxSessions {
		for k, v := range ss.byID {
			if !now.Before(v.expires) {
				delete(ss.byID, k)
			}
		}
		if len(ss.byID) >= maxSessions {
			return session{}, false
		}
	}
	ss.byID[s.id] = s
	return s, true
}

// get returns the live session id names.
func (ss *sessions) get(id string) (session, bool) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	s, ok := ss.byID[id]
	if !ok || !ss.now().Before(s.expires) {
		delete(ss.byID, id)
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
	sessionCookie = "ssomfa_session"
	// loginCookie carries the sign-in form's CSRF token before there is a
	// session (double submit).
	loginCookie  = "ssomfa_login"
	flowCookie   = "ssomfa_flow"
	logoutCookie = "ssomfa_logout"
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
