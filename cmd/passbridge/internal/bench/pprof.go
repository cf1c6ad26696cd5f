package bench

import (
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// profileURL is the CPU profile endpoint of net/http/pprof under base: the
// debug listener's URL, or its /debug/pprof/ or /debug/pprof/profile.
func profileURL(base string, d time.Duration) string {
	u := strings.TrimRight(base, "/")
	switch {
	case strings.HasSuffix(u, "/debug/pprof/profile"):
	case strings.HasSuffix(u, "/debug/pprof"):
		u += "/profile"
	default:
		u += "/debug/pprof/profile"
	}
	secs := max(1, int(math.Ceil(d.Seconds())))
	return u + "?seconds=" + strconv.Itoa(secs)
}

// profileFile is where flow's profile goes: file itself for a single flow,
// else file with the flow's name before its extension.
func profileFile(file, flow string, flows int) string {
	if flows == 1 {
		return file
	}
	ext := filepath.Ext(file)
	return strings.TrimSuffix(file, ext) + "-" + flow + ext
}

// profile is a CPU profile being fetched.
type profile struct {
	done chan error
}

// fetchProfile starts the server's CPU profile of the next d and writes it
// to file when it comes. The server profiles while the request is open,
// so it is sent as the measured window opens.
func fetchProfile(ctx context.Context, hc *http.Client, base string, d time.Duration, file string) *profile {
	p := &profile{done: make(chan error, 1)}
	go func() { p.done <- getProfile(ctx, hc, profileURL(base, d), file) }()
	return p
}

func getProfile(ctx context.Context, hc *http.Client, u, file string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return fmt.Errorf("cpu profile: %w", err)
	}
	// The profile takes its whole length to come: no client timeout.
	res, err := (&http.Client{Transport: hc.Transport}).Do(req)
	if err != nil {
		return fmt.Errorf("cpu profile: %w", err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(io.LimitReader(res.Body, 512))
		return fmt.Errorf("cpu profile: %s: %d %s", u, res.StatusCode, strings.TrimSpace(string(msg)))
	}
	f, err := os.Create(file)
	if err != nil {
		return fmt.Errorf("cpu profile: %w", err)
	}
	if _, err := io.Copy(f, res.Body); err != nil {
		f.Close()
		return fmt.Errorf("cpu profile: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("cpu profile: %w", err)
	}
	return nil
}

// wait returns when the profile is written, or why it was not.
func (p *profile) wait() error { return <-p.done }
