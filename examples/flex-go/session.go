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
}

func newSessions() *sessions {
	return &sessions{byID: map[string]session{}, now: time.Now}
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
	s.byID[id] = session{username: username, expires: now.Add(sessionLifetime)}
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
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return "", false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sess, ok := s.byID[c.Value]
	if !ok || !s.now().Before(sess.expires) {
		return "", false
	}
	return sess.username, true
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
