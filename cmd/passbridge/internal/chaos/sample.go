package chaos

import (
	"bufio"
	"context"
	"fmt"
	"math"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"
)

// Sample is one reading of a server process.
type Sample struct {
	At         time.Time
	RSSMiB     float64
	Goroutines float64
	FDs        float64
}

// ReadSample reads the process's resident memory and open descriptors
// from /proc and its goroutines from /metrics (go_goroutines).
func ReadSample(ctx context.Context, pid int, metricsURL string) (Sample, error) {
	s := Sample{At: time.Now()}
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return s, err
	}
	for line := range strings.SplitSeq(string(status), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 64)
			if err != nil {
				return s, fmt.Errorf("VmRSS %q: %v", rest, err)
			}
			s.RSSMiB = kb / 1024
		}
	}
	fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		return s, err
	}
	s.FDs = float64(len(fds))
	s.Goroutines, err = MetricSum(ctx, metricsURL, "go_goroutines")
	return s, err
}

// MetricSum is the sum of a metric's samples (all its label sets) on a
// Prometheus text page; an error when the page has none.
func MetricSum(ctx context.Context, metricsURL, name string) (float64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, metricsURL, nil)
	if err != nil {
		return 0, err
	}
	res, err := probeClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	sc := bufio.NewScanner(res.Body)
	sc.Buffer(nil, 1<<20)
	sum, found := 0.0, false
	for sc.Scan() {
		line := sc.Text()
		rest, ok := strings.CutPrefix(line, name)
		if !ok || rest == "" || (rest[0] != ' ' && rest[0] != '{') {
			continue
		}
		fields := strings.Fields(line)
		v, err := strconv.ParseFloat(fields[len(fields)-1], 64)
		if err != nil {
			return 0, fmt.Errorf("%s: %q: %v", name, line, err)
		}
		sum += v
		found = true
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	if !found {
		return 0, fmt.Errorf("no %s in %s", name, metricsURL)
	}
	return sum, nil
}

// Slope is the least-squares slope of ys over xs.
func Slope(xs, ys []float64) float64 {
	n := float64(len(xs))
	if n < 2 {
		return 0
	}
	var sx, sy, sxx, sxy float64
	for i := range xs {
		sx += xs[i]
		sy += ys[i]
		sxx += xs[i] * xs[i]
		sxy += xs[i] * ys[i]
	}
	d := n*sxx - sx*sx
	if d == 0 {
		return 0
	}
	return (n*sxy - sx*sy) / d
}

// perMinute is the slope of one series of samples, per minute.
func perMinute(samples []Sample, get func(Sample) float64) float64 {
	var xs, ys []float64
	for _, s := range samples {
		xs = append(xs, s.At.Sub(samples[0].At).Minutes())
		ys = append(ys, get(s))
	}
	return Slope(xs, ys)
}

// p99 is the nearest-rank 99th percentile of sorted durations.
func p99(sorted []time.Duration) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(0.99*float64(len(sorted)))) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}
