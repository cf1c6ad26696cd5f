package chaos

import (
	"net"
	"sync"
	"testing"
)

// CutProxy is a TCP proxy between passbridge and PostgreSQL that can be
// cut: Cut closes every connection it holds and refuses new ones (accepts
// and closes them at once, as a database that went away would) until Heal.
// Stall holds every byte in both directions and every new connection, as
// a database that stopped answering without closing anything (a stuck
// primary, a partition) does, until Heal.
type CutProxy struct {
	Addr   string
	ln     net.Listener
	target string

	mu      sync.Mutex
	resumed *sync.Cond
	cut     bool
	stalled bool
	conns   map[net.Conn]bool
}

// NewCutProxy listens on a free loopback port in front of target.
func NewCutProxy(t testing.TB, target string) *CutProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &CutProxy{Addr: ln.Addr().String(), ln: ln, target: target, conns: map[net.Conn]bool{}}
	p.resumed = sync.NewCond(&p.mu)
	var wg sync.WaitGroup
	t.Cleanup(func() {
		_ = ln.Close()
		p.Cut()
		wg.Wait()
	})
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() { p.serve(c) })
		}
	})
	return p
}

func (p *CutProxy) serve(client net.Conn) {
	if !p.track(client) {
		return
	}
	p.wait()
	server, err := net.Dial("tcp", p.target)
	if err != nil || !p.track(server) {
		p.drop(client)
		return
	}
	done := make(chan struct{}, 2)
	pipe := func(dst, src net.Conn) { p.copy(dst, src); done <- struct{}{} }
	go pipe(server, client)
	go pipe(client, server)
	<-done
	p.drop(client)
	p.drop(server)
	<-done
}

// copy copies src to dst, holding what it read while stalled.
func (p *CutProxy) copy(dst, src net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			p.wait()
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// wait returns once the proxy is not stalled.
func (p *CutProxy) wait() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for p.stalled {
		p.resumed.Wait()
	}
}

// Stall holds every connection and every byte until Heal.
func (p *CutProxy) Stall() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.stalled = true
}

// track registers a connection, or closes it at once while cut.
func (p *CutProxy) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cut {
		_ = c.Close()
		return false
	}
	p.conns[c] = true
	return true
}

func (p *CutProxy) drop(c net.Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.conns, c)
	_ = c.Close()
}

// Cut closes every connection and refuses new ones; it returns how many
// connections it cut.
func (p *CutProxy) Cut() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut, p.stalled = true, false
	p.resumed.Broadcast()
	n := len(p.conns)
	for c := range p.conns {
		_ = c.Close()
		delete(p.conns, c)
	}
	return n
}

// Heal lets connections and bytes through again.
func (p *CutProxy) Heal() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut, p.stalled = false, false
	p.resumed.Broadcast()
}
