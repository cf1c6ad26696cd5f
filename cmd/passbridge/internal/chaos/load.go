package chaos

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/passbridge/passbridge/provider/loadflow"
)

// RequestTimeout is the load's bound on one request: an answer later than
// this is a hang.
const RequestTimeout = 15 * time.Second

// failureBackoff is how long a worker waits after a failed iteration.
const failureBackoff = 100 * time.Millisecond

// Load runs the flows of provider/loadflow mixed, from a number of
// workers, each taking the flows in turn and a user of the flow from its
// queue, until stopped. It keeps every iteration's outcome, so that
// failures can be classified and windows measured afterwards.
type Load struct {
	flows   []flowUsers
	workers int

	stop chan struct{}
	wg   sync.WaitGroup
	mu   sync.Mutex
	its  []Iteration
	from time.Time
}

type flowUsers struct {
	name  string
	users chan loadflow.User
}

// Iteration is one iteration's outcome.
type Iteration struct {
	Flow       string
	Start, End time.Time
	Err        error
}

// NewLoadClient is the load's HTTP client: each request carries its step
// to the proxy (StepHeader).
func NewLoadClient(workers int) *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 2*workers + 8
	return &http.Client{Transport: stepTransport{tr}, Timeout: RequestTimeout}
}

type stepTransport struct{ next http.RoundTripper }

func (s stepTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if step := loadflow.StepOf(r.Context()); step != "" {
		r = r.Clone(r.Context())
		r.Header.Set(StepHeader, step)
	}
	return s.next.RoundTrip(r)
}

// NewLoad sets up users of every flow against target (target.HTTP should
// be a NewLoadClient). Setup must succeed: it runs before any fault.
func NewLoad(ctx context.Context, t testing.TB, target loadflow.Target, flows []string, usersPerFlow, workers int) *Load {
	t.Helper()
	l := &Load{workers: workers}
	for _, name := range flows {
		f, err := loadflow.New(name, target)
		if err != nil {
			t.Fatal(err)
		}
		fu := flowUsers{name: name, users: make(chan loadflow.User, usersPerFlow)}
		var (
			wg   sync.WaitGroup
			mu   sync.Mutex
			errs []error
		)
		for i := range usersPerFlow {
			wg.Go(func() {
				u, err := f.NewUser(ctx, i)
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					errs = append(errs, fmt.Errorf("%s user %d: %w", name, i, err))
					return
				}
				fu.users <- u
			})
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			t.Fatalf("set up the load: %v", err)
		}
		l.flows = append(l.flows, fu)
	}
	return l
}

// Add adds a flow of users that are not loadflow's (the refresher).
func (l *Load) Add(name string, users ...loadflow.User) {
	fu := flowUsers{name: name, users: make(chan loadflow.User, len(users))}
	for _, u := range users {
		fu.users <- u
	}
	l.flows = append(l.flows, fu)
}

// Start starts the workers.
func (l *Load) Start(ctx context.Context) {
	l.stop = make(chan struct{})
	l.mu.Lock()
	l.its, l.from = nil, time.Now()
	l.mu.Unlock()
	for w := range l.workers {
		l.wg.Go(func() {
			for k := w; ; k++ {
				select {
				case <-l.stop:
					return
				case <-ctx.Done():
					return
				default:
				}
				f := l.flows[k%len(l.flows)]
				u := <-f.users
				start := time.Now()
				err := u.Run(ctx, nil)
				end := time.Now()
				f.users <- u
				if ctx.Err() != nil {
					return
				}
				l.mu.Lock()
				l.its = append(l.its, Iteration{Flow: f.name, Start: start, End: end, Err: err})
				l.mu.Unlock()
				if err != nil {
					// A client backs off after an error instead of
					// hammering a server that just failed.
					time.Sleep(failureBackoff)
				}
			}
		})
	}
}

// Stop stops the workers after their iterations under way and returns
// what they did since Start.
func (l *Load) Stop() Result {
	close(l.stop)
	l.wg.Wait()
	l.mu.Lock()
	defer l.mu.Unlock()
	return Result{Iterations: slices.Clone(l.its), From: l.from, To: time.Now()}
}

// RunFor runs the load for d and returns the result.
func (l *Load) RunFor(ctx context.Context, d time.Duration) Result {
	l.Start(ctx)
	select {
	case <-time.After(d):
	case <-ctx.Done():
	}
	return l.Stop()
}

// Result is what a load did.
type Result struct {
	Iterations []Iteration
	From, To   time.Time
}

// OK counts the iterations that succeeded.
func (r Result) OK() int {
	n := 0
	for _, it := range r.Iterations {
		if it.Err == nil {
			n++
		}
	}
	return n
}

// Failed returns the iterations that failed.
func (r Result) Failed() []Iteration {
	var out []Iteration
	for _, it := range r.Iterations {
		if it.Err != nil {
			out = append(out, it)
		}
	}
	return out
}

// Rate is the successful iterations per second.
func (r Result) Rate() float64 {
	s := r.To.Sub(r.From).Seconds()
	if s <= 0 {
		return 0
	}
	return float64(r.OK()) / s
}

// Reason classifies a failed iteration: "step status code" of the answer
// that broke it, or "step: error" when there was no answer.
func Reason(err error) string {
	var se *loadflow.StepError
	if !errors.As(err, &se) {
		return err.Error()
	}
	if se.Status == 0 && se.Code != "" {
		return se.Step + " redirect error=" + se.Code
	}
	if se.Status == 0 {
		msg := "no answer"
		if se.Err != nil {
			msg = se.Err.Error()
		}
		return se.Step + ": " + msg
	}
	if se.Code == "" {
		return fmt.Sprintf("%s %d", se.Step, se.Status)
	}
	return fmt.Sprintf("%s %d %s", se.Step, se.Status, se.Code)
}

// Reasons counts the failures by Reason.
func (r Result) Reasons() map[string]int {
	out := map[string]int{}
	for _, it := range r.Failed() {
		out[Reason(it.Err)]++
	}
	return out
}

// ReasonList is Reasons as "n× reason" items, most frequent first.
func ReasonList(m map[string]int) []string {
	type kv struct {
		k string
		v int
	}
	var kvs []kv
	for k, v := range m {
		kvs = append(kvs, kv{k, v})
	}
	sort.Slice(kvs, func(i, j int) bool { return kvs[i].v > kvs[j].v || (kvs[i].v == kvs[j].v && kvs[i].k < kvs[j].k) })
	var out []string
	for _, e := range kvs {
		out = append(out, fmt.Sprintf("%d× %s", e.v, e.k))
	}
	return out
}

// Latencies are the successful iterations' times, sorted.
func (r Result) Latencies() []time.Duration {
	var ds []time.Duration
	for _, it := range r.Iterations {
		if it.Err == nil {
			ds = append(ds, it.End.Sub(it.Start))
		}
	}
	slices.Sort(ds)
	return ds
}

// Between is the part of r whose iterations started in [from, to).
func (r Result) Between(from, to time.Time) Result {
	out := Result{From: from, To: to}
	for _, it := range r.Iterations {
		if !it.Start.Before(from) && it.Start.Before(to) {
			out.Iterations = append(out.Iterations, it)
		}
	}
	return out
}

// Flows counts the successful iterations per flow.
func (r Result) Flows() map[string]int {
	out := map[string]int{}
	for _, it := range r.Iterations {
		if it.Err == nil {
			out[it.Flow]++
		}
	}
	return out
}
