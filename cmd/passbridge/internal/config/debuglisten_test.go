package config

import (
	"errors"
	"strings"
	"testing"
)

// debug_listen is off by default, read from every source, and refused
// unless it is a loopback host:port other than listen's.
func TestDebugListen(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		yaml    string
		want    string
		wantErr string
	}{
		{"off by default", nil, nil, "", "", ""},
		{"flag", []string{"--debug-listen", "127.0.0.1:6060"}, nil, "", "127.0.0.1:6060", ""},
		{"environment", nil, map[string]string{"PASSBRIDGE_DEBUG_LISTEN": "[::1]:6061"}, "", "[::1]:6061", ""},
		{"yaml", nil, nil, "debug_listen: localhost:6062\n", "localhost:6062", ""},
		{"all interfaces", []string{"--debug-listen", ":6060"}, nil, "", "", `debug_listen ":6060": not a loopback address`},
		{"public address", []string{"--debug-listen", "10.0.0.5:6060"}, nil, "", "", `debug_listen "10.0.0.5:6060": not a loopback address`},
		{"no port", []string{"--debug-listen", "6060"}, nil, "", "", `debug_listen "6060": want host:port`},
		{"equal to listen", nil, map[string]string{"PASSBRIDGE_DEBUG_LISTEN": DefaultListen}, "", "",
			`debug_listen "127.0.0.1:8080": the address of listen`},
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
				want(t, cfg.DebugListen, tt.want)
				return
			}
			var ce *Error
			if !errors.As(err, &ce) || len(ce.Problems) != 1 || !strings.Contains(ce.Problems[0], tt.wantErr) {
				t.Fatalf("error %v, want one problem with %q", err, tt.wantErr)
			}
		})
	}
}
