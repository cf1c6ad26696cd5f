package cli

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"time"

	"github.com/spf13/cobra"
)

// healthcheckTimeout bounds one check: a container runtime runs it every
// few seconds, and a server that hangs must count as unhealthy rather than
// hold the check.
const healthcheckTimeout = 3 * time.Second

// healthcheckCommand checks a running server from inside its container,
// where images built on distroless or scratch have no curl or wget.
func (c *cli) healthcheckCommand() *cobra.Command {
	var target string
	cmd := &cobra.Command{
		Use:   "healthcheck [--url URL]",
		Short: "Check that a server answers /healthz: exit status 0 if it does, 1 if not",
		Long: "Check that a server answers GET /healthz with 200 within 3 seconds: exit status 0 if it\n" +
			"does, 1 if not. For container health checks (the image has no curl). The default URL is\n" +
			"/healthz at the configured listen address (listen, PASSBRIDGE_LISTEN or --config), on\n" +
			"the loopback address when it listens on all of them (0.0.0.0, ::, or no host).",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if target == "" {
				cfg, err := c.loadConfig(cmd)
				if err != nil {
					return err
				}
				if target, err = healthzURL(cfg.Listen); err != nil {
					return err
				}
			}
			status, err := checkHealth(cmd, target)
			if err != nil {
				return err
			}
			if c.json {
				return printJSON(c.env.Stdout, map[string]any{"url": target, "status": status})
			}
			_, err = fmt.Fprintf(c.env.Stdout, "healthy: %s answered %d\n", target, status)
			return err
		},
	}
	cmd.Flags().StringVar(&target, "url", "", "URL to check (default: /healthz at the configured listen address)")
	return cmd
}

// healthzURL is the /healthz URL of a server listening on listen. A server
// listening on every address is reached on the loopback one.
func healthzURL(listen string) (string, error) {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return "", fmt.Errorf("listen %q: want host:port", listen)
	}
	if port == "0" {
		return "", fmt.Errorf("listen %q: a server on port 0 has a port of its own choosing; give --url", listen)
	}
	switch ip := net.ParseIP(host); {
	case host == "":
		host = "127.0.0.1"
	case ip != nil && ip.IsUnspecified() && ip.To4() != nil:
		host = "127.0.0.1"
	case ip != nil && ip.IsUnspecified():
		host = "::1"
	}
	return (&url.URL{Scheme: "http", Host: net.JoinHostPort(host, port), Path: "/healthz"}).String(), nil
}

// checkHealth GETs target and returns its status, or an error unless the
// status is 200. Redirects are not followed: /healthz answers itself.
func checkHealth(cmd *cobra.Command, target string) (int, error) {
	u, err := url.Parse(target)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return 0, fmt.Errorf("--url %q: want an absolute http or https URL", target)
	}
	client := &http.Client{
		Timeout:       healthcheckTimeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	req, err := http.NewRequestWithContext(cmd.Context(), http.MethodGet, target, nil)
	if err != nil {
		return 0, fmt.Errorf("unhealthy: %w", err)
	}
	resp, err := client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // the URL is said below already
		}
		return 0, fmt.Errorf("unhealthy: GET %s: %w", target, err)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return resp.StatusCode, fmt.Errorf("unhealthy: GET %s answered %s", target, resp.Status)
	}
	return resp.StatusCode, nil
}
