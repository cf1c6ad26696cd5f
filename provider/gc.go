package provider

import (
	"context"
	"time"
)

// RunGC deletes expired rows (transactions, handshakes, nonces, OIDC
// requests, codes, tokens, sessions) now and then every interval, until ctx
// is done. Expired rows are already ignored by every lookup; GC only keeps
// the tables small. A failed run is logged and retried at the next tick.
func (s *Server) RunGC(ctx context.Context, interval time.Duration) {
	if interval <= 0 {
		interval = time.Minute
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		s.collect(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// collect runs one GC pass.
func (s *Server) collect(ctx context.Context) {
	res, err := s.store.DeleteExpired(ctx, s.now().UTC())
	if err != nil {
		if ctx.Err() == nil {
			s.metrics.gcRuns.WithLabelValues("error").Inc()
			s.log.Warn("gc failed", "err", err)
		}
		return
	}
	s.metrics.gcRuns.WithLabelValues("ok").Inc()
	for kind, n := range res {
		s.metrics.gcDeleted.WithLabelValues(kind).Add(float64(n))
	}
	if total := res.Total(); total > 0 {
		attrs := []any{"total", total}
		for kind, n := range res {
			if n > 0 {
				attrs = append(attrs, kind, n)
			}
		}
		s.log.Info("gc deleted expired rows", attrs...)
	} else {
		s.log.Debug("gc found nothing expired")
	}
}
