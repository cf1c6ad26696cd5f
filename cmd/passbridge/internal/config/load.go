package config

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/pflag"
)

// Sources are where Load looks for settings.
type Sources struct {
	// Flags holds the command's parsed flags; only flags the user set count.
	// Flags the command did not define are skipped.
	Flags *pflag.FlagSet
	// LookupEnv reads the environment (os.LookupEnv); nil means none. An
	// empty variable counts as unset.
	LookupEnv func(string) (string, bool)
}

// AddFlags defines on fs the flags of the named settings (YAML names such as
// "database_url", or KeyConfig for --config; every one when none are named).
// Values are taken as text and parsed by Load, so that a bad flag is
// reported together with every other problem.
func AddFlags(fs *pflag.FlagSet, names ...string) {
	want := map[string]bool{}
	for _, n := range names {
		want[n] = true
	}
	if len(names) == 0 || want[KeyConfig] {
		fs.String(flagName(KeyConfig), "", "YAML configuration file ($"+envName(KeyConfig)+")")
	}
	def := Default()
	for _, k := range keys() {
		if len(names) > 0 && !want[k.name] {
			continue
		}
		defValue := k.get(def)
		if k.name == KeyMasterKey || k.name == KeyMasterKeyFile || k.name == KeyDatabaseURL || k.name == KeyDatabaseURLFile {
			defValue = ""
		}
		fs.String(k.flag(), defValue, k.usage+" ($"+k.env()+")")
	}
}

// layer is the settings one source sets, by key, and how to name them.
type layer struct {
	values map[string]string
	name   func(key string) string // "--issuer", "PASSBRIDGE_ISSUER", "issuer in config.yaml"
}

// Load reads the configuration: defaults, then the YAML file (--config or
// PASSBRIDGE_CONFIG), then PASSBRIDGE_* variables, then flags, each
// overriding the ones before. A secret and its _FILE variant set in one
// source is an error; set in different sources, the stronger source wins.
// The result is validated; the error lists every problem found.
func Load(src Sources) (Config, error) {
	lookup := src.LookupEnv
	if lookup == nil {
		lookup = func(string) (string, bool) { return "", false }
	}
	var problems []string
	var layers []layer

	flags := flagLayer(src.Flags)
	env := envLayer(lookup)
	path, pathFrom := flags.values[KeyConfig], "--config"
	if path == "" {
		path, pathFrom = env.values[KeyConfig], envName(KeyConfig)
	}
	delete(flags.values, KeyConfig)
	delete(env.values, KeyConfig)
	if path != "" {
		file, err := fileLayer(path)
		if err != nil {
			problems = append(problems, fmt.Sprintf("config file %q (from %s): %v", path, pathFrom, err))
		} else {
			layers = append(layers, file)
		}
	}
	layers = append(layers, env, flags)

	cfg := Default()
	for _, l := range layers {
		for _, p := range secretPairs() {
			_, hasValue := l.values[p.value]
			_, hasFile := l.values[p.file]
			if hasValue && hasFile {
				problems = append(problems, fmt.Sprintf("%s and %s are both set; set one of them",
					l.name(p.value), l.name(p.file)))
			}
		}
		for _, k := range keys() {
			v, ok := l.values[k.name]
			if !ok {
				continue
			}
			if err := k.set(&cfg, v); err != nil {
				problems = append(problems, fmt.Sprintf("%s %q: %v", l.name(k.name), v, err))
				continue
			}
			// The stronger source's secret replaces the weaker one's, in
			// whichever form it came.
			for _, p := range secretPairs() {
				switch k.name {
				case p.value:
					if _, hasFile := l.values[p.file]; !hasFile {
						*p.fileField(&cfg) = ""
					}
				case p.file:
					if _, hasValue := l.values[p.value]; !hasValue {
						*p.valueField(&cfg) = ""
					}
				}
			}
		}
	}
	if cfg.DatabaseURLFile != "" {
		u, err := readSecretFile(cfg.DatabaseURLFile)
		switch {
		case err != nil:
			problems = append(problems, fmt.Sprintf("database_url_file %q: %v", cfg.DatabaseURLFile, err))
		case u == "":
			problems = append(problems, fmt.Sprintf("database_url_file %q: the file is empty", cfg.DatabaseURLFile))
		}
		cfg.DatabaseURL = u
	}
	cfg.normalise()
	if err := cfg.Validate(); err != nil {
		var ve *Error
		if errors.As(err, &ve) {
			problems = append(problems, ve.Problems...)
		}
	}
	if len(problems) > 0 {
		return cfg, &Error{Problems: problems}
	}
	return cfg, nil
}

// normalise fills derived defaults and trims what users add by habit.
func (c *Config) normalise() {
	if c.DatabaseURL == "" {
		c.DatabaseURL = DefaultDatabaseURL(c.DataDir)
	}
	c.Issuer = strings.TrimSuffix(strings.TrimSpace(c.Issuer), "/")
	c.LogLevel = strings.ToLower(strings.TrimSpace(c.LogLevel))
}

func flagLayer(fs *pflag.FlagSet) layer {
	l := layer{values: map[string]string{}, name: func(k string) string { return "--" + flagName(k) }}
	if fs == nil {
		return l
	}
	for _, name := range append(keyNames(), KeyConfig) {
		if f := fs.Lookup(flagName(name)); f != nil && f.Changed {
			l.values[name] = f.Value.String()
		}
	}
	return l
}

func envLayer(lookup func(string) (string, bool)) layer {
	l := layer{values: map[string]string{}, name: envName}
	for _, name := range append(keyNames(), KeyConfig) {
		if v, ok := lookup(envName(name)); ok && v != "" {
			l.values[name] = v
		}
	}
	return l
}

func fileLayer(path string) (layer, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return layer{}, unwrapPathError(err)
	}
	values, err := parseYAML(data)
	if err != nil {
		return layer{}, err
	}
	return layer{values: values, name: func(k string) string { return k + " in " + path }}, nil
}

func keyNames() []string {
	var names []string
	for _, k := range keys() {
		names = append(names, k.name)
	}
	return names
}

// unwrapPathError drops the operation and path of an *os.PathError, which
// the message already names.
func unwrapPathError(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}

// Error is an invalid configuration: every problem found, each naming the
// setting and, unless it is a secret, its value.
type Error struct {
	Problems []string
}

// Error lists the problems, one per line when there are several.
func (e *Error) Error() string {
	if len(e.Problems) == 1 {
		return "invalid configuration: " + e.Problems[0]
	}
	return "invalid configuration:\n  - " + strings.Join(e.Problems, "\n  - ")
}

// secretPair is a secret setting and its _FILE variant.
type secretPair struct {
	value, file           string
	valueField, fileField func(*Config) *string
}

// secretPairs lists the secrets that may also come from a file.
func secretPairs() []secretPair {
	return []secretPair{
		{KeyMasterKey, KeyMasterKeyFile,
			func(c *Config) *string { return &c.MasterKey }, func(c *Config) *string { return &c.MasterKeyFile }},
		{KeyDatabaseURL, KeyDatabaseURLFile,
			func(c *Config) *string { return &c.DatabaseURL }, func(c *Config) *string { return &c.DatabaseURLFile }},
	}
}

// readSecretFile reads a secret kept in a file, without the trailing newline
// editors and `echo` add.
func readSecretFile(path string) (string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return "", unwrapPathError(err)
	}
	return strings.TrimSpace(string(data)), nil
}
