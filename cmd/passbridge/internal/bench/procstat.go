package bench

import (
	"fmt"
	"sync"
	"time"

	"github.com/prometheus/procfs"
)

// rssEvery is how often the server's memory is sampled for its peak.
const rssEvery = 100 * time.Millisecond

// serverWatch reads a process's CPU time at the start and the end of a
// measured window from /proc, and samples its resident memory in between.
type serverWatch struct {
	proc procfs.Proc
	cpu0 float64

	mu   sync.Mutex
	peak uint64
	stop chan struct{}
	done chan struct{}
}

// checkProcess tells whether pid can be watched, before anything runs.
func checkProcess(pid int) error {
	p, err := procfs.NewProc(pid)
	if err == nil {
		_, err = p.Stat()
	}
	if err != nil {
		return fmt.Errorf("--server-pid %d: %w", pid, err)
	}
	return nil
}

// watchServer starts watching pid.
func watchServer(pid int) (*serverWatch, error) {
	p, err := procfs.NewProc(pid)
	if err != nil {
		return nil, fmt.Errorf("server process: %w", err)
	}
	st, err := p.Stat()
	if err != nil {
		return nil, fmt.Errorf("server process: %w", err)
	}
	w := &serverWatch{proc: p, cpu0: st.CPUTime(), stop: make(chan struct{}), done: make(chan struct{})}
	w.sample()
	go w.loop()
	return w, nil
}

func (w *serverWatch) loop() {
	defer close(w.done)
	t := time.NewTicker(rssEvery)
	defer t.Stop()
	for {
		select {
		case <-w.stop:
			return
		case <-t.C:
			w.sample()
		}
	}
}

// sample reads VmRSS and keeps the peak; it returns the value read.
func (w *serverWatch) sample() uint64 {
	s, err := w.proc.NewStatus()
	if err != nil {
		return 0 // the process went away; end reports it
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.peak = max(w.peak, s.VmRSS)
	return s.VmRSS
}

// end stops the watch and reports the window's cost over iterations.
func (w *serverWatch) end(iterations int) (*Server, error) {
	close(w.stop)
	<-w.done
	st, err := w.proc.Stat()
	if err != nil {
		return nil, fmt.Errorf("server process: %w", err)
	}
	rss := w.sample()
	cpu := st.CPUTime() - w.cpu0
	s := &Server{CPUS: round(cpu, 3), RSSMiB: mib(rss), PeakRSSMiB: mib(w.peak)}
	if iterations > 0 {
		s.CPUMSPerIteration = round(cpu*1000/float64(iterations), 3)
	}
	return s, nil
}

func mib(b uint64) float64 { return round(float64(b)/(1<<20), 1) }
