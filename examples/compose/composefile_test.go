//go:build e2e

package compose_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// composeFile is what the test reads of docker-compose.yml.
type composeFile struct {
	Services map[string]service `yaml:"services"`
}

type service struct {
	Build *struct {
		Context    string `yaml:"context"`
		Dockerfile string `yaml:"dockerfile"`
	} `yaml:"build"`
	Command     []string          `yaml:"command"`
	Environment map[string]string `yaml:"environment"`
	Volumes     []string          `yaml:"volumes"`
	Ports       []string          `yaml:"ports"`
	NetworkMode string            `yaml:"network_mode"`
	DependsOn   map[string]struct {
		Condition string `yaml:"condition"`
	} `yaml:"depends_on"`
	Healthcheck struct {
		Test    []string `yaml:"test"`
		Disable bool     `yaml:"disable"`
	} `yaml:"healthcheck"`

	name  string
	image image
	env   map[string]string // the image's, then the service's, translated
}

// loadCompose reads docker-compose.yml, its ${VAR} references replaced
// from vars as compose replaces them from the environment.
func loadCompose(vars map[string]string) (composeFile, error) {
	var f composeFile
	raw, err := os.ReadFile(filepath.Join(root, "docker-compose.yml"))
	if err != nil {
		return f, err
	}
	text, err := interpolate(string(raw), vars)
	if err != nil {
		return f, err
	}
	if err := yaml.Unmarshal([]byte(text), &f); err != nil {
		return f, fmt.Errorf("docker-compose.yml: %w", err)
	}
	return f, nil
}

var varRef = regexp.MustCompile(`\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}`)

// interpolate applies compose's ${VAR}, ${VAR:-default}, ${VAR-default},
// ${VAR:?error}, ${VAR?error} and $$.
func interpolate(text string, vars map[string]string) (string, error) {
	var errs []error
	text = varRef.ReplaceAllStringFunc(text, func(ref string) string {
		if ref == "$$" {
			return "$"
		}
		m := varRef.FindStringSubmatch(ref)
		v, set := vars[m[1]]
		switch op := m[2]; {
		case op == ":-" && v == "", op == "-" && !set:
			return m[3]
		case op == ":?" && v == "", op == "?" && !set:
			errs = append(errs, fmt.Errorf("required variable %s is missing a value: %s", m[1], m[3]))
		}
		return v
	})
	return text, errors.Join(errs...)
}

// image is what the test reads of a service's Dockerfile: the Go package
// its binary is built from, and its ENTRYPOINT, CMD and ENV.
type image struct {
	pkg        string
	entrypoint []string
	cmd        []string
	env        map[string]string
}

var goBuild = regexp.MustCompile(`go build [^\n]* (\./[\w/.-]+)`)

func readImage(t *testing.T, dockerfile string) image {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(root, dockerfile))
	if err != nil {
		t.Fatal(err)
	}
	text := strings.ReplaceAll(string(raw), "\\\n", " ")
	m := goBuild.FindStringSubmatch(text)
	if m == nil {
		t.Fatalf("%s: no go build of a package", dockerfile)
	}
	img := image{pkg: m[1], env: map[string]string{}}
	for line := range strings.Lines(text) {
		word, rest, _ := strings.Cut(strings.TrimSpace(line), " ")
		switch word {
		case "FROM": // the last stage's instructions are the image's
			img.entrypoint, img.cmd, img.env = nil, nil, map[string]string{}
		case "ENTRYPOINT", "CMD":
			var argv []string
			if err := json.Unmarshal([]byte(rest), &argv); err != nil {
				t.Fatalf("%s: %s is not in exec form: %s", dockerfile, word, rest)
			}
			if word == "ENTRYPOINT" {
				img.entrypoint = argv
			} else {
				img.cmd = argv
			}
		case "ENV":
			for _, kv := range strings.Fields(rest) {
				k, v, ok := strings.Cut(kv, "=")
				if !ok {
					t.Fatalf("%s: ENV %s: want KEY=VALUE", dockerfile, kv)
				}
				img.env[k] = v
			}
		}
	}
	if len(img.entrypoint) == 0 {
		t.Fatalf("%s: no ENTRYPOINT", dockerfile)
	}
	return img
}
