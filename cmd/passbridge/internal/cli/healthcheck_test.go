package cli

import (
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
)

func TestHealthzURL(t *testing.T) {
	for _, tt := range []struct {
		listen, want, err string
	}{
		{listen: "0.0.0.0:8080", want: "http://127.0.0.1:8080/healthz"},
		{listen: ":8080", want: "http://127.0.0.1:8080/healthz"},
		{listen: "[::]:8080", want: "http://[::1]:8080/healthz"},
		{listen: "127.0.0.1:9000", want: "http://127.0.0.1:9000/healthz"},
		{listen: "[::1]:9000", want: "http://[::1]:9000/healthz"},
		{listen: "localhost:8080", want: "http://localhost:8080/healthz"},
		{listen: "10.1.2.3:8080", want: "http://10.1.2.3:8080/healthz"},
		{listen: "8080", err: "want host:port"},
		{listen: "127.0.0.1:0", err: "give --url"},
	} {
		got, err := healthzURL(tt.listen)
		switch {
		case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
			t.Errorf("%s: %q, %v; want an error saying %q", tt.listen, got, err, tt.err)
		case tt.err == "" && (err != nil || got != tt.want):
			t.Errorf("%s: %q, %v; want %s", tt.listen, got, err, tt.want)
		}
	}
}

// TestHealthcheck runs the command against a real server (by URL, and by
// the listen address of the configuration serve runs with), against one
// that answers otherwise than 200, and against nothing.
func TestHealthcheck(t *testing.T) {
	srv := startServe(t, map[string]string{"PASSBRIDGE_DATA_DIR": filepath.Join(t.TempDir(), "data")})
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(srv.base, "http://"))

	res := run(t, nil, "healthcheck", "--url", srv.base+"/healthz")
	if res.err != nil || !strings.Contains(res.stdout, "healthy: "+srv.base+"/healthz answered 200") {
		t.Fatalf("healthcheck --url of a serving server: %v\n%s%s", res.err, res.stdout, res.stderr)
	}
	// The container's configuration: listening on every address.
	env := map[string]string{"PASSBRIDGE_LISTEN": "0.0.0.0:" + port}
	var out struct {
		URL    string `json:"url"`
		Status int    `json:"status"`
	}
	mustJSON(t, &out, env, "healthcheck")
	if out.URL != "http://127.0.0.1:"+port+"/healthz" || out.Status != 200 {
		t.Fatalf("healthcheck with PASSBRIDGE_LISTEN=0.0.0.0:%s: %+v", port, out)
	}

	answering := func(status int) string {
		s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != "/healthz" {
				http.NotFound(w, r)
				return
			}
			if status == http.StatusFound {
				http.Redirect(w, r, "/elsewhere", status)
				return
			}
			w.WriteHeader(status)
		}))
		t.Cleanup(s.Close)
		return s.URL + "/healthz"
	}
	for _, tt := range []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"503", []string{"--url", answering(http.StatusServiceUnavailable)}, nil, "answered 503 Service Unavailable"},
		{"redirect", []string{"--url", answering(http.StatusFound)}, nil, "answered 302 Found"},
		{"not a URL", []string{"--url", "127.0.0.1:8080/healthz"}, nil, "want an absolute http or https URL"},
		{"bad listen", nil, map[string]string{"PASSBRIDGE_LISTEN": "8080"}, `listen "8080"`},
	} {
		res := run(t, tt.env, append([]string{"healthcheck"}, tt.args...)...)
		if res.err == nil || !strings.Contains(res.err.Error(), tt.want) {
			t.Errorf("%s: %v, want an error saying %q\n%s", tt.name, res.err, tt.want, res.stdout)
		}
	}

	// Nothing listens on the port once serve has stopped.
	if err := srv.stop(); err != nil {
		t.Fatal(err)
	}
	for _, r := range []result{
		run(t, nil, "healthcheck", "--url", srv.base+"/healthz"),
		run(t, env, "healthcheck"),
	} {
		if r.err == nil || !strings.Contains(r.err.Error(), "unhealthy") || !strings.Contains(r.err.Error(), "connection refused") {
			t.Errorf("healthcheck with nothing listening: %v\n%s", r.err, r.stdout)
		}
		if r.stdout != "" {
			t.Errorf("healthcheck with nothing listening printed %q", r.stdout)
		}
	}
}
