package config

import (
	"errors"
	"strings"
	"testing"
)

// metrics_listen is read from every source like listen, is off by default,
// and is refused when it is not host:port or is listen's own address.
func TestMetricsListen(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		yaml    string
		want    string
		wantErr string
	}{
		{"off by default", nil, nil, "", "", ""},
		{"flag", []string{"--metrics-listen", "127.0.0.1:9090"}, nil, "", "127.0.0.1:9090", ""},
		{"environment", nil, map[string]string{"PASSBRIDGE_METRICS_LISTEN": ":9091"}, "", ":9091", ""},
		{"yaml", nil, nil, "metrics_listen: 10.0.0.5:9092\n", "10.0.0.5:9092", ""},
		{"flag over environment over yaml", []string{"--metrics-listen", "127.0.0.1:9093"},
			map[string]string{"PASSBRIDGE_METRICS_LISTEN": ":9094"}, "metrics_listen: :9095\n", "127.0.0.1:9093", ""},
		{"environment over yaml", nil, map[string]string{"PASSBRIDGE_METRICS_LISTEN": ":9094"}, "metrics_listen: :9095\n", ":9094", ""},
		{"empty variable is unset", nil, map[string]string{"PASSBRIDGE_METRICS_LISTEN": ""}, "", "", ""},
		{"two free ports on one host", []string{"--listen", "127.0.0.1:0", "--metrics-listen", "127.0.0.1:0"}, nil, "", "127.0.0.1:0", ""},
		{"no port", []string{"--metrics-listen", "9090"}, nil, "", "", `metrics_listen "9090": want host:port`},
		{"bad port", nil, map[string]string{"PASSBRIDGE_METRICS_LISTEN": "127.0.0.1:prom"}, "", "", `metrics_listen "127.0.0.1:prom": port "prom"`},
		{"bad yaml value", nil, nil, "metrics_listen: [a, b]\n", "", "want a single value, not a list or mapping"},
		{"equal to listen", []string{"--listen", "0.0.0.0:8080", "--metrics-listen", "0.0.0.0:8080"}, nil, "", "",
			`metrics_listen "0.0.0.0:8080": the address of listen; want a separate one`},
		{"equal to the default listen", nil, map[string]string{"PASSBRIDGE_METRICS_LISTEN": DefaultListen}, "", "",
			`metrics_listen "127.0.0.1:8080": the address of listen`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := tt.args
			if tt.yaml != "" {
				args = append(args, "--config", writeFile(t, "c.yaml", tt.yaml))
			}
			cfg, err := load(t, args, tt.env)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("load: %v", err)
				}
				want(t, cfg.MetricsListen, tt.want)
				return
			}
			var ce *Error
			if !errors.As(err, &ce) || len(ce.Problems) != 1 || !strings.Contains(ce.Problems[0], tt.wantErr) {
				t.Fatalf("error %v, want one problem with %q", err, tt.wantErr)
			}
		})
	}
}
