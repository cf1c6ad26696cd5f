package bench

import (
	"fmt"
	"io"
	"sync"
	"time"
)

// Progress intervals: a terminal's line is rewritten often; a log (CI, a
// file) gets a line now and then.
const (
	terminalEvery = 250 * time.Millisecond
	logEvery      = 5 * time.Second
)

// progress writes a status line while a phase runs (seeding, setting up
// users, warming up, measuring), and the phase's last state when it ends.
type progress struct {
	w   io.Writer // nil: nothing is written
	tty bool
	mu  sync.Mutex
}

func newProgress(w io.Writer, tty bool) *progress {
	return &progress{w: w, tty: tty}
}

// track writes label() every interval until stop is called, and once more
// then. label runs under the progress lock, as set's functions do.
func (p *progress) track(label func() string) (stop func()) {
	if p.w == nil {
		return func() {}
	}
	every := logEvery
	if p.tty {
		every = terminalEvery
	}
	done, finished := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				p.print(label, false)
			}
		}
	}()
	return func() {
		close(done)
		<-finished
		p.print(label, true)
	}
}

func (p *progress) print(label func() string, last bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	line := label()
	switch {
	case !p.tty:
		fmt.Fprintln(p.w, line)
	case last:
		fmt.Fprintf(p.w, "\r\x1b[K%s\n", line)
	default:
		fmt.Fprintf(p.w, "\r\x1b[K%s", line)
	}
}

// set changes what a label reads, under the progress lock.
func (p *progress) set(fn func()) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fn()
}
