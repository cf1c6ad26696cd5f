package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
)

// Report is one flow's result; --json prints each as one line.
type Report struct {
	Flow        string `json:"flow"`
	URL         string `json:"url"`
	Concurrency int    `json:"concurrency"`
	Users       int    `json:"users"`
	// Iterations succeeded and Errors failed in the measured window; with
	// --iterations they add up to it.
	Iterations int `json:"iterations"`
	Errors     int `json:"errors"`
	// SetupErrors counts the virtual users that could not be set up; the
	// flow runs with the others, or not at all.
	SetupErrors int `json:"setup_errors"`
	// ErrorMessages are the first distinct messages, setup's included:
	// "step: status code".
	ErrorMessages []string `json:"error_messages"`
	// ElapsedS is the measured window, from its first iteration's start to
	// its last one's end; Throughput is Iterations over it.
	ElapsedS   float64 `json:"elapsed_s"`
	Throughput float64 `json:"throughput_per_s"`
	// Latency is of the iterations that succeeded, in milliseconds.
	Latency Latency `json:"latency_ms"`
	// Steps are the flow's steps in their order.
	Steps []Step `json:"steps"`
	// Server is the server process's cost, with --server-pid (else null).
	Server *Server `json:"server"`
	// CPUProfile is the file the server's profile was written to.
	CPUProfile string `json:"cpu_profile,omitempty"`
}

// Latency is a distribution's summary, in milliseconds.
type Latency struct {
	Mean float64 `json:"mean"`
	P50  float64 `json:"p50"`
	P90  float64 `json:"p90"`
	P99  float64 `json:"p99"`
	Max  float64 `json:"max"`
}

// Step is one step of a flow over the measured window: how often it ran,
// its mean time, and its share of the time of all steps (0–1).
type Step struct {
	Name   string  `json:"name"`
	Count  int     `json:"count"`
	MeanMS float64 `json:"mean_ms"`
	Share  float64 `json:"share"`
}

// Server is what the server process spent over the measured window.
type Server struct {
	// CPUS is its user and system CPU time; CPUMSPerIteration that over
	// the iterations, failed ones included (they cost too).
	CPUS              float64 `json:"cpu_s"`
	CPUMSPerIteration float64 `json:"cpu_ms_per_iteration"`
	// RSSMiB is its resident memory (VmRSS) at the window's end,
	// PeakRSSMiB the most sampled during the window.
	RSSMiB     float64 `json:"rss_mib"`
	PeakRSSMiB float64 `json:"peak_rss_mib"`
}

// WriteJSON writes one JSON line per report.
func WriteJSON(w io.Writer, reports []Report) error {
	enc := json.NewEncoder(w)
	for _, r := range reports {
		if err := enc.Encode(r); err != nil {
			return err
		}
	}
	return nil
}

// WriteTable writes a table of the reports, one row per flow, then each
// flow's steps and errors.
func WriteTable(w io.Writer, reports []Report) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	server := false
	for _, r := range reports {
		server = server || r.Server != nil
	}
	head := []string{"FLOW", "CONC", "ITER", "ERR", "ITER/S", "P50 MS", "P90 MS", "P99 MS", "MAX MS"}
	if server {
		head = append(head, "SRV CPU MS/ITER", "RSS MIB", "PEAK MIB")
	}
	row(tw, head...)
	for _, r := range reports {
		cells := []string{r.Flow, strconv.Itoa(r.Concurrency), strconv.Itoa(r.Iterations), strconv.Itoa(r.Errors + r.SetupErrors),
			num(r.Throughput, 1), num(r.Latency.P50, 2), num(r.Latency.P90, 2), num(r.Latency.P99, 2), num(r.Latency.Max, 2)}
		if s := r.Server; s != nil {
			cells = append(cells, num(s.CPUMSPerIteration, 3), num(s.RSSMiB, 1), num(s.PeakRSSMiB, 1))
		} else if server {
			cells = append(cells, "-", "-", "-")
		}
		row(tw, cells...)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, r := range reports {
		fmt.Fprintf(w, "\n%s: %d iterations in %.1f s\n", r.Flow, r.Iterations+r.Errors, r.ElapsedS)
		if len(r.Steps) > 0 {
			st := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
			row(st, "  STEP", "MEAN MS", "SHARE")
			for _, s := range r.Steps {
				row(st, "  "+s.Name, num(s.MeanMS, 3), fmt.Sprintf("%.1f%%", 100*s.Share))
			}
			if err := st.Flush(); err != nil {
				return err
			}
		}
		if r.SetupErrors > 0 {
			fmt.Fprintf(w, "  %d of %d users could not be set up\n", r.SetupErrors, r.Users)
		}
		if r.Errors+r.SetupErrors > 0 {
			fmt.Fprintf(w, "  errors: %s\n", strings.Join(r.ErrorMessages, "; "))
		}
		if r.CPUProfile != "" {
			fmt.Fprintf(w, "  server cpu profile: %s\n", r.CPUProfile)
		}
	}
	return nil
}

func row(tw *tabwriter.Writer, cells ...string) {
	fmt.Fprintln(tw, strings.Join(cells, "\t"))
}

func num(v float64, places int) string {
	return strconv.FormatFloat(v, 'f', places, 64)
}
