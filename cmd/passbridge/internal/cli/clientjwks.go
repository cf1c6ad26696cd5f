package cli

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/passbridge/passbridge/provider/settings"
)

// maxJWKSBytes bounds a key set file: a few public keys, not a document.
const maxJWKSBytes = settings.MaxJWKSBytes

// readJWKS reads a JSON Web Key Set of public signing keys from a file and
// returns it as the store keeps it (settings.ParseJWKS). Every problem names
// the file and the key.
func readJWKS(path string) ([]byte, []string) { return readJWKSAs("--jwks-file", path) }

// readJWKSAs is readJWKS for the file a flag named flag gave.
func readJWKSAs(flag, path string) ([]byte, []string) {
	prefix := fmt.Sprintf("%s %q: ", flag, path)
	problem := func(format string, args ...any) []string {
		return []string{prefix + fmt.Sprintf(format, args...)}
	}
	file, err := os.Open(path)
	if err != nil {
		var pathErr *fs.PathError
		if errors.As(err, &pathErr) {
			err = pathErr.Err
		}
		return nil, problem("%v", err)
	}
	defer file.Close()
	data, err := io.ReadAll(io.LimitReader(file, maxJWKSBytes+1))
	if err != nil {
		return nil, problem("%v", err)
	}
	doc, problems := settings.ParseJWKS(data)
	for i, p := range problems {
		problems[i] = prefix + p
	}
	return doc, problems
}
