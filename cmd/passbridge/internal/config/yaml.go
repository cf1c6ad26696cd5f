package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"

	"go.yaml.in/yaml/v3"
)

// yamlFile is the configuration file's shape. Decoding is strict: a key not
// listed here is an error, so a typo never silently falls back to a default.
type yamlFile struct {
	Listen            *scalar `yaml:"listen"`
	MetricsListen     *scalar `yaml:"metrics_listen"`
	DebugListen       *scalar `yaml:"debug_listen"`
	Issuer            *scalar `yaml:"issuer"`
	SigningAlg        *scalar `yaml:"signing_alg"`
	DatabaseURL       *scalar `yaml:"database_url"`
	DatabaseURLFile   *scalar `yaml:"database_url_file"`
	MasterKey         *scalar `yaml:"master_key"`
	MasterKeyFile     *scalar `yaml:"master_key_file"`
	DataDir           *scalar `yaml:"data_dir"`
	LogLevel          *scalar `yaml:"log_level"`
	TrustedProxies    *scalar `yaml:"trusted_proxies"`
	MaxBodyBytes      *scalar `yaml:"max_body_bytes"`
	RateLimit         *scalar `yaml:"rate_limit"`
	RateLimitBurst    *scalar `yaml:"rate_limit_burst"`
	KeyRateLimit      *scalar `yaml:"key_rate_limit"`
	KeyRateLimitBurst *scalar `yaml:"key_rate_limit_burst"`
	GCInterval        *scalar `yaml:"gc_interval"`
	ShutdownTimeout   *scalar `yaml:"shutdown_timeout"`
	RequestTimeout    *scalar `yaml:"request_timeout"`
}

// scalar is any YAML scalar (string, number, duration) kept as its text, so
// every source is parsed by the same code and reports errors the same way.
type scalar struct{ value string }

// UnmarshalYAML accepts scalars only.
func (s *scalar) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("line %d: want a single value, not a list or mapping", n.Line)
	}
	s.value = n.Value
	return nil
}

// parseYAML decodes a configuration file into the values it sets, by key.
func parseYAML(data []byte) (map[string]string, error) {
	var f yamlFile
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil && !errors.Is(err, io.EOF) {
		return nil, yamlError(err)
	}
	values := map[string]string{}
	v := reflect.ValueOf(f)
	for i := 0; i < v.NumField(); i++ {
		if s := v.Field(i).Interface().(*scalar); s != nil {
			values[v.Type().Field(i).Tag.Get("yaml")] = s.value
		}
	}
	return values, nil
}

// yamlError rewords the decoder's errors in the file's terms: an unknown key
// is an unknown setting, not a missing field of a Go type.
func yamlError(err error) error {
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		return err
	}
	msgs := make([]string, len(te.Errors))
	for i, m := range te.Errors {
		if line, rest, ok := strings.Cut(m, ": field "); ok {
			if name, _, ok := strings.Cut(rest, " not found in type"); ok {
				m = line + ": unknown setting " + name
			}
		}
		msgs[i] = m
	}
	return errors.New(strings.Join(msgs, "; "))
}
