package sqlstoretest

import (
	"net"
	"sync"
	"testing"
	"time"
)

// NetProxy is a TCP proxy on loopback between a store and its PostgreSQL,
// for the faults a network brings: Cut closes every connection it holds
// and refuses new ones (accepts and closes them at once, as a database
// that went away would) until Heal; Stall holds every byte in both
// directions and every new connection, as a stuck primary or a partition
// does, without closing anything, until Heal.
type NetProxy struct {
	Addr   string // where to connect instead of the target
	target string

	mu       sync.Mutex
	resumed  *sync.Cond
	cut      bool
	stalled  bool
	stallGen uint64 // which Stall a timed end belongs to
	conns    map[net.Conn]bool
}

// NewNetProxy listens on a free loopback port in front of target (a
// host:port); it closes with the test.
func NewNetProxy(t testing.TB, target string) *NetProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("proxy: %v", err)
	}
	p := &NetProxy{Addr: ln.Addr().String(), target: target, conns: map[net.Conn]bool{}}
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

func (p *NetProxy) serve(client net.Conn) {
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
func (p *NetProxy) copy(dst, src net.Conn) {
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
func (p *NetProxy) wait() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for p.stalled {
		p.resumed.Wait()
	}
}

// track registers a connection, or closes it at once while cut.
func (p *NetProxy) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cut {
		_ = c.Close()
		return false
	}
	p.conns[c] = true
	return true
}

func (p *NetProxy) drop(c net.Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.conns, c)
	_ = c.Close()
}

// Stall holds every connection and every byte until Heal, or, when
// atMost > 0, until atMost has passed (so that a test of code that would
// wait for the stall's end still ends).
func (p *NetProxy) Stall(atMost time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.stalled = true
	p.stallGen++
	if atMost > 0 {
		gen := p.stallGen
		time.AfterFunc(atMost, func() {
			p.mu.Lock()
			defer p.mu.Unlock()
			if p.stalled && p.stallGen == gen {
				p.stalled = false
				p.resumed.Broadcast()
			}
		})
	}
}

// Cut closes every connection and refuses new ones until Heal; it returns
// how many connections it cut.
func (p *NetProxy) Cut() int {
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
func (p *NetProxy) Heal() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut, p.stalled = false, false
	p.resumed.Broadcast()
}
