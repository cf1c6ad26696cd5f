package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"
)

// HTTP server timeouts: slow clients must not hold connections for ever,
// and no passbridge request legitimately takes long. A client that sends
// its headers a byte at a time (slowloris) is cut off at
// readHeaderTimeout; a stuck database is the request timeout's business
// (provider.Deps.RequestTimeout), well within writeTimeout.
const (
	readHeaderTimeout = 10 * time.Second
	readTimeout       = 30 * time.Second
	writeTimeout      = 60 * time.Second
	idleTimeout       = 2 * time.Minute
)

// httpTimeouts are an HTTP server's timeouts; serve's are serveTimeouts,
// tests shorten them.
type httpTimeouts struct {
	readHeader, read, write, idle time.Duration
}

// serveTimeouts are the timeouts of every listener serve opens.
func serveTimeouts() httpTimeouts {
	return httpTimeouts{readHeader: readHeaderTimeout, read: readTimeout, write: writeTimeout, idle: idleTimeout}
}

// httpServer is one address serve answers on and the server behind it.
type httpServer struct {
	ln  net.Listener
	srv *http.Server
}

// listenHTTP listens on addr and prepares a server for h. Its requests'
// contexts outlive ctx, so that shutting down lets them finish.
func listenHTTP(ctx context.Context, addr string, h http.Handler, log *slog.Logger, t httpTimeouts) (*httpServer, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", addr, err)
	}
	return &httpServer{ln: ln, srv: &http.Server{
		Handler:           h,
		ReadHeaderTimeout: t.readHeader,
		ReadTimeout:       t.read,
		WriteTimeout:      t.write,
		IdleTimeout:       t.idle,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}}, nil
}

func (s *httpServer) addr() string { return s.ln.Addr().String() }

// serveAll serves on every server until ctx is done or one of them fails,
// then shuts them all down together, giving in-flight requests up to
// timeout.
func serveAll(ctx context.Context, servers []*httpServer, timeout time.Duration, log *slog.Logger) error {
	type result struct {
		i   int
		err error
	}
	served := make(chan result, len(servers))
	for i, s := range servers {
		go func() { served <- result{i, s.srv.Serve(s.ln)} }()
	}
	errs := make([]error, len(servers))
	pending := len(servers)
	select {
	case r := <-served:
		errs[r.i] = fmt.Errorf("serve: %w", r.err)
		pending--
	case <-ctx.Done():
		log.Info("shutting down", "timeout", timeout.String())
	}
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), timeout)
	defer cancel()
	var wg sync.WaitGroup
	for i, s := range servers {
		if errs[i] != nil {
			continue // it stopped serving already
		}
		wg.Go(func() {
			if err := s.srv.Shutdown(shutdownCtx); err != nil {
				_ = s.srv.Close()
				errs[i] = fmt.Errorf("shutdown: %w", err)
			}
		})
	}
	wg.Wait()
	for ; pending > 0; pending-- {
		if r := <-served; !errors.Is(r.err, http.ErrServerClosed) && errs[r.i] == nil {
			errs[r.i] = fmt.Errorf("serve: %w", r.err)
		}
	}
	return errors.Join(errs...)
}
