package cli

import (
	"net/http"
	"net/http/pprof"
)

// pprofHandler serves Go's profiler, as net/http/pprof registers it on
// the default mux, on a mux of its own: nothing else the process serves
// is reachable through the debug listener, and the profiler through no
// other.
func pprofHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return mux
}
