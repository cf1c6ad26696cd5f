package chaos

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// StepHeader carries a request's loadflow step from the load's transport
// to the proxy, which routes by it and strips it.
const StepHeader = "X-Chaos-Step"

// LostCode is the code of the proxy's 502 for a request whose backend
// went away while it was in flight.
const LostCode = "chaos_backend_lost"

// Proxy is a loopback HTTP reverse proxy in front of several instances,
// as a load balancer is. It routes a request by its step (Pin), or round
// robin; a backend that refuses connections is marked down and skipped
// until its /readyz answers again, so a request is never lost to a dead
// backend it was not already on. A request in flight on a backend that
// dies is answered 502 LostCode and logged as a Loss.
type Proxy struct {
	URL      string // http://localhost:port: the issuer the instances serve
	backends []*backend
	tr       *http.Transport
	srv      *http.Server
	rr       atomic.Uint64
	pin      atomic.Pointer[map[string]int]
	// Observe, when set, sees every exchange the proxy relayed.
	Observe func(Exchange)

	stop   chan struct{}
	mu     sync.Mutex
	losses []Loss
	served map[string][]int // step → requests per backend
}

type backend struct {
	addr     string
	down     atomic.Bool
	inflight atomic.Int64
	probing  atomic.Bool
}

// Exchange is a request the proxy relayed and its answer.
type Exchange struct {
	Step    string
	Backend int
	Method  string
	Path    string // with the query
	Header  http.Header
	Body    []byte
	Status  int
	RHeader http.Header
	RBody   []byte
	Took    time.Duration // from sending it to the backend to its whole answer
}

// Loss is a request whose backend went away while it was in flight.
type Loss struct {
	Backend    int
	Step, Path string
	Start, End time.Time
	Err        string
}

// NewProxy listens on a free loopback port; SetBackends names the
// instances before any request comes.
func NewProxy(t testing.TB) *Proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &Proxy{URL: "http://localhost" + ln.Addr().String()[len("127.0.0.1"):], served: map[string][]int{}, stop: make(chan struct{})}
	p.tr = &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 2 * time.Second}).DialContext,
		MaxIdleConnsPerHost: 64,
		IdleConnTimeout:     30 * time.Second,
	}
	p.srv = &http.Server{Handler: p, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = p.srv.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = p.srv.Shutdown(ctx)
		close(p.stop)
		p.tr.CloseIdleConnections()
	})
	return p
}

// SetBackends sets the instances' addresses (host:port), all up.
func (p *Proxy) SetBackends(addrs ...string) {
	p.backends = nil
	for _, a := range addrs {
		p.backends = append(p.backends, &backend{addr: a})
	}
}

// SetPin maps a step to the index of the backend it goes to (mod the
// number of backends); steps it does not know, and all with nil, go round
// robin.
func (p *Proxy) SetPin(pin map[string]int) { p.pin.Store(&pin) }

// ForgetIdle closes the idle connections to every backend, as a balancer
// that saw a backend go does: a request then never starts on a connection
// whose backend died while it idled (the transport would send it, then
// retry it elsewhere only if idempotent).
func (p *Proxy) ForgetIdle() { p.tr.CloseIdleConnections() }

// Inflight is the number of requests in flight on backend i.
func (p *Proxy) Inflight(i int) int64 { return p.backends[i].inflight.Load() }

// Losses returns the requests lost in flight so far.
func (p *Proxy) Losses() []Loss {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Loss(nil), p.losses...)
}

// Served returns, per step, the requests each backend answered.
func (p *Proxy) Served() map[string][]int {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := map[string][]int{}
	for k, v := range p.served {
		out[k] = append([]int(nil), v...)
	}
	return out
}

// ResetServed forgets the counts of Served.
func (p *Proxy) ResetServed() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.served = map[string][]int{}
}

// first is the backend a request of step goes to first.
func (p *Proxy) first(step string) int {
	if pin := p.pin.Load(); pin != nil && step != "" {
		if i, ok := (*pin)[step]; ok {
			return i % len(p.backends)
		}
	}
	return int(p.rr.Add(1) % uint64(len(p.backends)))
}

func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 64<<20))
	if err != nil {
		http.Error(w, "proxy: read the request: "+err.Error(), http.StatusBadRequest)
		return
	}
	step := r.Header.Get(StepHeader)
	r.Header.Del(StepHeader)
	first := p.first(step)
	n := len(p.backends)
	for attempt := range n {
		i := (first + attempt) % n
		b := p.backends[i]
		if b.down.Load() && attempt < n-1 {
			continue
		}
		out, err := http.NewRequestWithContext(r.Context(), r.Method, "http://"+b.addr+r.URL.RequestURI(), bytes.NewReader(body))
		if err != nil {
			http.Error(w, "proxy: "+err.Error(), http.StatusBadRequest)
			return
		}
		out.Host = r.Host
		out.Header = r.Header.Clone()
		out.Header.Set("X-Forwarded-For", "127.0.0.1")
		// Whether the request reached the backend: the transport retries
		// an idempotent request on a fresh connection by itself, so a
		// refused dial may follow a request the dead backend did take.
		var wrote atomic.Bool
		out = out.WithContext(httptrace.WithClientTrace(out.Context(), &httptrace.ClientTrace{
			WroteHeaders: func() { wrote.Store(true) },
		}))
		start := time.Now()
		b.inflight.Add(1)
		res, err := p.tr.RoundTrip(out)
		var rbody []byte
		if err == nil {
			rbody, err = io.ReadAll(res.Body)
			res.Body.Close()
		}
		b.inflight.Add(-1)
		if err != nil && isRefused(err) && !wrote.Load() {
			// Nothing reached the backend: it is down, the next one takes it.
			p.markDown(i)
			continue
		}
		if err != nil {
			if r.Context().Err() != nil {
				return // the client went away
			}
			p.mu.Lock()
			p.losses = append(p.losses, Loss{Backend: i, Step: step, Path: r.URL.Path, Start: start, End: time.Now(), Err: err.Error()})
			p.mu.Unlock()
			p.markDown(i)
			writeLost(w, err)
			return
		}
		p.count(step, i)
		for k, v := range res.Header {
			w.Header()[k] = v
		}
		w.WriteHeader(res.StatusCode)
		_, _ = w.Write(rbody)
		if p.Observe != nil {
			p.Observe(Exchange{Step: step, Backend: i, Method: r.Method, Path: r.URL.RequestURI(), Header: r.Header, Body: body,
				Status: res.StatusCode, RHeader: res.Header, RBody: rbody, Took: time.Since(start)})
		}
		return
	}
	writeLost(w, errors.New("every backend refused the connection"))
}

func (p *Proxy) count(step string, i int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	c := p.served[step]
	if c == nil {
		c = make([]int, len(p.backends))
		p.served[step] = c
	}
	c[i]++
}

func writeLost(w http.ResponseWriter, err error) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusBadGateway)
	_ = json.NewEncoder(w).Encode(map[string]string{"code": LostCode, "error": "proxy: " + err.Error()})
}

// markDown takes backend i out of rotation until its /readyz answers 200.
func (p *Proxy) markDown(i int) {
	b := p.backends[i]
	b.down.Store(true)
	if !b.probing.CompareAndSwap(false, true) {
		return
	}
	go func() {
		defer b.probing.Store(false)
		for status(context.Background(), "http://"+b.addr+"/readyz") != http.StatusOK {
			select {
			case <-p.stop:
				return
			case <-time.After(50 * time.Millisecond):
			}
		}
		b.down.Store(false)
	}()
}

// isRefused reports a connection the backend refused: nothing was sent.
func isRefused(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

// codeOfBody reads {"code"} or OAuth's {"error"} of an error body.
func codeOfBody(body []byte) (string, bool) {
	var e struct {
		Code  string `json:"code"`
		Error string `json:"error"`
	}
	if json.Unmarshal(body, &e) != nil {
		return "", false
	}
	if e.Code != "" {
		return e.Code, true
	}
	return e.Error, e.Error != ""
}
