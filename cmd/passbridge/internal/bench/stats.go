package bench

import (
	"math"
	"slices"
	"time"
)

// maxMessages is how many distinct error messages a report keeps.
const maxMessages = 5

// tally is what one worker saw; a flow's tallies are merged at the end, so
// that workers share no lock while they run.
type tally struct {
	durations []time.Duration // of the iterations that succeeded
	errors    int
	messages  []string // the first distinct ones
	steps     map[string]*stepTotal
	order     []string // step names, first seen first
}

type stepTotal struct {
	total time.Duration
	count int
}

func newTally() *tally { return &tally{steps: map[string]*stepTotal{}} }

// iteration is the Recorder of one iteration.
type iteration struct{ steps []stepTime }

type stepTime struct {
	name string
	d    time.Duration
}

// Step records a step's time.
func (it *iteration) Step(name string, d time.Duration) {
	it.steps = append(it.steps, stepTime{name, d})
}

// add records an iteration: its time when it succeeded, its error
// otherwise, and the steps it ran either way.
func (t *tally) add(d time.Duration, err error, steps []stepTime) {
	if err != nil {
		t.fail(err.Error())
	} else {
		t.durations = append(t.durations, d)
	}
	for _, s := range steps {
		st := t.steps[s.name]
		if st == nil {
			st = &stepTotal{}
			t.steps[s.name] = st
			t.order = append(t.order, s.name)
		}
		st.total += s.d
		st.count++
	}
}

// fail counts an error with its message.
func (t *tally) fail(msg string) {
	t.errors++
	if len(t.messages) < maxMessages && !slices.Contains(t.messages, msg) {
		t.messages = append(t.messages, msg)
	}
}

// distinct is the first maxMessages distinct messages of lists, in order.
func distinct(lists ...[]string) []string {
	out := []string{}
	for _, l := range lists {
		for _, m := range l {
			if len(out) < maxMessages && !slices.Contains(out, m) {
				out = append(out, m)
			}
		}
	}
	return out
}

// merge adds o to t.
func (t *tally) merge(o *tally) {
	t.durations = append(t.durations, o.durations...)
	t.errors += o.errors
	t.messages = distinct(t.messages, o.messages)
	for _, name := range o.order {
		st := t.steps[name]
		if st == nil {
			st = &stepTotal{}
			t.steps[name] = st
			t.order = append(t.order, name)
		}
		st.total += o.steps[name].total
		st.count += o.steps[name].count
	}
}

// latency summarizes the succeeded iterations' times. All of them are
// kept and sorted: exact percentiles, for a few megabytes at most.
func (t *tally) latency() Latency {
	ds := slices.Clone(t.durations)
	slices.Sort(ds)
	if len(ds) == 0 {
		return Latency{}
	}
	var sum time.Duration
	for _, d := range ds {
		sum += d
	}
	return Latency{
		Mean: ms(sum / time.Duration(len(ds))),
		P50:  ms(percentile(ds, 50)),
		P90:  ms(percentile(ds, 90)),
		P99:  ms(percentile(ds, 99)),
		Max:  ms(ds[len(ds)-1]),
	}
}

// percentile is the nearest-rank percentile p of sorted.
func percentile(sorted []time.Duration, p float64) time.Duration {
	i := int(math.Ceil(p/100*float64(len(sorted)))) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

// stepReport gives each step's mean time and share of all steps' time.
func (t *tally) stepReport() []Step {
	var all time.Duration
	for _, st := range t.steps {
		all += st.total
	}
	out := make([]Step, 0, len(t.order))
	for _, name := range t.order {
		st := t.steps[name]
		s := Step{Name: name, Count: st.count, MeanMS: ms(st.total / time.Duration(st.count))}
		if all > 0 {
			s.Share = round(float64(st.total)/float64(all), 4)
		}
		out = append(out, s)
	}
	return out
}

// ms is d in milliseconds, to the microsecond.
func ms(d time.Duration) float64 { return round(float64(d)/float64(time.Millisecond), 3) }

func round(v float64, places int) float64 {
	p := math.Pow10(places)
	return math.Round(v*p) / p
}
