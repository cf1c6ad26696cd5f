package providertest

import (
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/passbridge/passbridge/ceremony"
	"github.com/passbridge/passbridge/provider"
	"github.com/passbridge/passbridge/provider/internal/apitest"
	"github.com/passbridge/passbridge/provider/signing"
	"github.com/passbridge/passbridge/provider/surface"
	"github.com/passbridge/passbridge/storage"
)

// Options change the server Start builds; the zero value is serve's with no
// rate limit.
type Options struct {
	RateLimit      float64 // per-address requests a second (0: none)
	RateLimitBurst int
	// FailedAuthRate and FailedAuthBurst limit failed attempts per address
	// while RateLimit is set (0: the server's defaults).
	FailedAuthRate  float64
	FailedAuthBurst int
	// KeyRateLimit limits the requests of each API or admin key a second
	// (0: none).
	KeyRateLimit      float64
	KeyRateLimitBurst int
	HTTPClient        *http.Client // fetches clients' jwks_uri
	Logger            *slog.Logger // nil: logs are discarded
	// Areas are mounted too, after serve's.
	Areas []provider.Area
	// Wrap, when set, wraps the server's handler (to record requests).
	Wrap func(http.Handler) http.Handler
}

// Server is the whole server on a store, running. Its clock starts at the
// real time and moves only when a test advances it.
type Server struct {
	Store     storage.Store
	Ceremony  *ceremony.Service
	Clock     *apitest.Clock
	Issuer    string // http://localhost:PORT
	MasterKey []byte
	HTTP      *httptest.Server

	opts Options
}

// Start builds the server on st and serves it until the test ends.
func Start(t testing.TB, st storage.Store, opts Options) *Server {
	t.Helper()
	clock := apitest.NewClock()
	svc, err := ceremony.New(ceremony.Config{Store: st, Now: clock.Now, AAGUIDs: apitest.Registry(t)})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	s := &Server{
		Store: st, Ceremony: svc, Clock: clock, Issuer: "http://localhost:" + port,
		MasterKey: storage.RandomBytes(32), opts: opts,
	}
	s.serve(t, ln)
	return s
}

// Restart stops the server and starts a new one, with nothing kept in
// memory, on the same store, master key and address.
func (s *Server) Restart(t testing.TB) {
	t.Helper()
	addr := s.HTTP.Listener.Addr().String()
	s.HTTP.Close()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	s.serve(t, ln)
}

// serve builds the areas as serve does and serves them on ln.
func (s *Server) serve(t testing.TB, ln net.Listener) {
	t.Helper()
	st, svc, now, log := s.Store, s.Ceremony, s.Clock.Now, s.opts.Logger
	keys, err := signing.New(signing.Config{Store: st, MasterKey: s.MasterKey, Now: now, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	if err := keys.Ensure(t.Context()); err != nil {
		t.Fatal(err)
	}
	areas, err := surface.Areas(surface.Deps{Store: st, Ceremony: svc, Logger: log, Issuer: s.Issuer, Now: now,
		Keys: keys, MasterKey: s.MasterKey, HTTPClient: s.opts.HTTPClient})
	if err != nil {
		t.Fatal(err)
	}
	server, err := provider.New(provider.Deps{
		Store: st, Ceremony: svc, Logger: log, Issuer: s.Issuer, MasterKey: s.MasterKey, Now: now,
		RateLimit: s.opts.RateLimit, RateLimitBurst: s.opts.RateLimitBurst,
		FailedAuthRate: s.opts.FailedAuthRate, FailedAuthBurst: s.opts.FailedAuthBurst,
		KeyRateLimit: s.opts.KeyRateLimit, KeyRateLimitBurst: s.opts.KeyRateLimitBurst,
		Areas: append(areas, s.opts.Areas...),
	})
	if err != nil {
		t.Fatal(err)
	}
	var h http.Handler = server.Handler()
	if s.opts.Wrap != nil {
		h = s.opts.Wrap(h)
	}
	srv := httptest.NewUnstartedServer(h)
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)
	s.HTTP = srv
}
