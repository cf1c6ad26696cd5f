package oidc

import (
	"context"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/rs/cors"

	"github.com/passbridge/passbridge/storage"
)

// corsRefresh bounds how stale the allowed origins may be: a browser
// client registered (or removed) elsewhere is seen within it.
const corsRefresh = 30 * time.Second

// browserOrigins are the origins that may call the token, userinfo,
// introspection, revocation, JWKS and discovery endpoints from a page:
// those of the redirect URIs of public (browser) clients. op's default
// would let any origin in, with credentials.
type browserOrigins struct {
	store storage.Store
	now   func() time.Time
	log   *slog.Logger

	mu      sync.Mutex
	origins map[string]bool
	read    time.Time
}

// allowed reports whether the origin of r belongs to a browser client. A
// request without an Origin (a backend's) needs no list; one with an
// Origin reads the list, when stale, under r's deadline (the server's
// request timeout).
func (b *browserOrigins) allowed(r *http.Request, origin string) (bool, []string) {
	if origin == "" {
		return false, nil
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.origins == nil || b.now().Sub(b.read) >= corsRefresh {
		if set, err := b.load(r.Context()); err == nil {
			b.origins, b.read = set, b.now()
		} else {
			// Keep what was known; try again on the next request.
			b.log.Warn("cors: list browser clients", "err", err)
		}
	}
	return b.origins[origin], nil
}

func (b *browserOrigins) load(ctx context.Context) (map[string]bool, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	apps, err := b.store.ListApps(ctx)
	if err != nil {
		return nil, err
	}
	set := map[string]bool{}
	for _, a := range apps {
		clients, err := b.store.ListClients(ctx, a.ID)
		if err != nil {
			return nil, err
		}
		for _, c := range clients {
			if c.AuthMethod != storage.AuthMethodNone {
				continue
			}
			for _, u := range c.RedirectURIs {
				if o := originOf(u); o != "" {
					set[o] = true
				}
			}
		}
	}
	return set, nil
}

// corsOptions is the provider's CORS policy: browser clients' origins
// only, no credentials (tokens travel in headers and bodies, not cookies).
func (b *browserOrigins) corsOptions() *cors.Options {
	return &cors.Options{
		AllowOriginVaryRequestFunc: b.allowed,
		AllowedMethods:             []string{http.MethodGet, http.MethodPost},
		AllowedHeaders:             []string{"Authorization", "Content-Type", "Accept"},
		// A browser app reads why userinfo refused its token.
		ExposedHeaders:   []string{"WWW-Authenticate"},
		AllowCredentials: false,
		MaxAge:           600,
	}
}

// originOf is scheme://host[:port] of an absolute http(s) URL, or "".
func originOf(raw string) string {
	for _, scheme := range []string{"https://", "http://"} {
		if len(raw) > len(scheme) && raw[:len(scheme)] == scheme {
			rest := raw[len(scheme):]
			for i, r := range rest {
				if r == '/' || r == '?' || r == '#' {
					rest = rest[:i]
					break
				}
			}
			return scheme + rest
		}
	}
	return ""
}
