package main

import (
	"crypto/rand"
	"net/http"
	"sync"
	"time"
)

// sessionCookie names the cookie that carries the session id.
const sessionCookie = "flexgo_session"

// sessionLifetime is how long a sign-in lasts.
const sessionLifetime = 12 * time.Hour

// sessions are the app's own sign-ins, kept in memory: a restart signs
// everyone out, which an example can afford. passbridge only proves who the
// user is; what a sign-in grants, and for how long, is the app's business.
type sessions struct {
	mu   sync.Mutex
	byID map[string]session
	now  func() time.Time
}

type session struct {
	username string
	expires  time.Time
	// confirming holds, per sensitive action, when the session asked to
	// confirm it with a passkey (see confirm.go).
	confirming map[string]time.Time
}

func newSessions(now func() time.Time) *sessions {
	return &sessions{byID: map[string]session{}, now: now}
}

// start signs username in: a new random session id, in a cookie that
// scripts cannot read and that cross-site subrequests do not carry.
func (s *sessions) start(w http.ResponseWriter, r *http.Request, username string) {
	id := rand.Text()
	now := s.now()
	s.mu.Lock()
	for k, v := range s.byID {
		if !now.Before(v.expires) {
			delete(s.byID, k)
		}
	}
	s.byID[id] = session{username: username, expires: now.Add(sessionLifetime), confirming: map[string]time.Time{}}
	s.mu.Unlock()
	http.SetCookie(w, &http.Cookie{
		Name:     sessionCookie,
		Value:    id,
		Path:     "/",
		MaxAge:   int(sessionLifetime / time.Second),
		HttpOnly: true,
		Secure:   r.TLS != nil,
		SameSite: http.SameSiteLaxMode,
	})
}

// user returns who the request's session signed in, if anyone.
func (s *sessions) user(r *http.Request) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sess, ok := s.current(r)
	return sess.username, ok
}

// beginConfirmation records that the request's session, signed in as
// username, asked now to confirm action; it replaces an earlier request of
// the same action. It reports false when the session has ended or belongs
// to someone else by now.
func (s *sessions) beginConfirmation(r *http.Request, username, action string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	sess, ok := s.current(r)
	if !ok || sess.username != username {
		return false
	}
	sess.confirming[action] = s.now()
	return true
}

// takeConfirmation returns who the request's session signed in ("" for
// nobody) and when it asked to confirm action (ok false: it did not), and
// forgets that request: each one is good for one attempt.
func (s *sessions) takeConfirmation(r *http.Request, action string) (username string, asked time.Time, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sess, ok := s.current(r)
	if !ok {
		return "", time.Time{}, false
	}
	asked, ok = sess.confirming[action]
	delete(sess.confirming, action)
	return sess.username, asked, ok
}

// current is the request's unexpired session. s.mu must be held.
func (s *sessions) current(r *http.Request) (session, bool) {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return session{}, false
	}
	sess, ok := s.byID[c.Value]
	if !ok || !s.now().Before(sess.expires) {
		return session{}, false
	}
	return sess, true
}

// end signs the request's session out and clears its cookie.
func (s *sessions) end(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(sessionCookie); err == nil {
		s.mu.Lock()
		delete(s.byID, c.Value)
		s.mu.Unlock()
	}
	clearCookie(w, r, sessionCookie, "/")
}

// clearCookie tells the browser to drop the cookie name of path.
func clearCookie(w http.ResponseWriter, r *http.Request, name, path string) {
	http.SetCookie(w, &http.Cookie{
		Name:     name,
		Value:    "",
		Path:     path,
		MaxAge:   -1,
		HttpOnly: true,
		Secure:   r.TLS != nil,
		SameSite: http.SameSiteLaxMode,
	})
}
