package bench

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/passbridge/passbridge/provider/loadflow"
)

// phase is a run of workers over a flow's users: a warm-up, or the
// measured window.
type phase struct {
	label       string // "flex-auth: warming up"
	users       []loadflow.User
	concurrency int
	// The phase ends after iterations iterations in all when that is set,
	// else once duration has passed: no iteration starts after that, and
	// those under way are finished and counted.
	iterations int
	duration   time.Duration

	start          time.Time
	done, failed   atomic.Int64
	next, startedN atomic.Int64
}

// picker hands out users in turn. With at least as many users as workers
// a user is never run by two workers at once (a queue: a worker takes the
// user at its head and puts it back at its tail), as one person signs in
// once at a time; with fewer, workers share users, as tabs of one browser.
func (ph *phase) picker() (take func() loadflow.User, give func(loadflow.User)) {
	if len(ph.users) >= ph.concurrency {
		q := make(chan loadflow.User, len(ph.users))
		for _, u := range ph.users {
			q <- u
		}
		return func() loadflow.User { return <-q }, func(u loadflow.User) { q <- u }
	}
	return func() loadflow.User {
		return ph.users[(ph.next.Add(1)-1)%int64(len(ph.users))]
	}, func(loadflow.User) {}
}

// run runs the phase and returns what its workers saw and how long it took.
// An iteration cut short by ctx counts for nothing.
func (ph *phase) run(ctx context.Context, p *progress) (*tally, time.Duration) {
	ph.start = time.Now()
	deadline := ph.start.Add(ph.duration)
	stop := p.track(ph.status)
	take, give := ph.picker()
	tallies := make([]*tally, ph.concurrency)
	var wg sync.WaitGroup
	for w := range tallies {
		t := newTally()
		tallies[w] = t
		wg.Go(func() {
			it := &iteration{}
			for ctx.Err() == nil && ph.another(deadline) {
				u := take()
				it.steps = it.steps[:0]
				start := time.Now()
				err := u.Run(ctx, it)
				d := time.Since(start)
				give(u)
				if ctx.Err() != nil {
					return
				}
				t.add(d, err, it.steps)
				if err != nil {
					ph.failed.Add(1)
				}
				ph.done.Add(1)
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(ph.start)
	stop()
	all := newTally()
	for _, t := range tallies {
		all.merge(t)
	}
	return all, elapsed
}

// another reports whether a worker may start another iteration.
func (ph *phase) another(deadline time.Time) bool {
	if ph.iterations > 0 {
		return ph.startedN.Add(1) <= int64(ph.iterations)
	}
	return time.Now().Before(deadline)
}

// status is the progress line.
func (ph *phase) status() string {
	done, failed := ph.done.Load(), ph.failed.Load()
	el := time.Since(ph.start)
	rate := 0.0
	if el > 0 {
		rate = float64(done-failed) / el.Seconds()
	}
	var of string
	if ph.iterations > 0 {
		of = fmt.Sprintf("%d/%d iterations", done, ph.iterations)
	} else {
		of = fmt.Sprintf("%.1f/%.1f s, %d iterations", min(el, ph.duration).Seconds(), ph.duration.Seconds(), done)
	}
	return fmt.Sprintf("%s: %s, %d errors, %.1f/s", ph.label, of, failed, rate)
}

// setUp makes n virtual users of flow, concurrency at a time. A user that
// cannot be set up is counted in the tally; the others are returned.
func setUp(ctx context.Context, flow loadflow.Flow, n, concurrency int, p *progress) ([]loadflow.User, *tally) {
	users := make([]loadflow.User, n)
	fails := newTally()
	var (
		mu        sync.Mutex
		next, got atomic.Int64
		wg        sync.WaitGroup
	)
	stop := p.track(func() string {
		return fmt.Sprintf("%s: setting up users %d/%d", flow.Name(), got.Load(), n)
	})
	for range min(n, concurrency) {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < n && ctx.Err() == nil; i = int(next.Add(1) - 1) {
				u, err := flow.NewUser(ctx, i)
				if err != nil {
					mu.Lock()
					fails.fail(err.Error())
					mu.Unlock()
					continue
				}
				users[i] = u
				got.Add(1)
			}
		})
	}
	wg.Wait()
	stop()
	out := users[:0]
	for _, u := range users {
		if u != nil {
			out = append(out, u)
		}
	}
	return out, fails
}
