//go:build e2e

package flexnode

import (
	"context"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"testing"

	"github.com/passbridge/passbridge/examples/internal/exampletest"
	"github.com/passbridge/passbridge/storage"
)

// The Passage-compatible module (lib/passbridge-flex.js) against a real
// passbridge: test/compat.test.js, run with Node's own test runner, calls
// every method and checks what it resolves to and rejects with. This test
// prepares what the module cannot make by itself (a user with two passkeys,
// a register and an authenticate nonce, from a software authenticator
// through passbridge's client API) and fails with the runner's output when
// any Node test fails or is skipped.
func TestFlexNodeCompatModule(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		exampletest.NeedNode(t)
		p := exampletest.Start(t, exampletest.Options{Engine: engine})
		// The ceremonies run on this origin; nothing needs to answer there.
		_, site := exampletest.FreePort(t)
		app, key := p.CreateApp(storage.App{Name: "compat", RPID: "localhost", Origins: []string{site}})
		_, otherKey := p.CreateApp(storage.App{Name: "other", RPID: "localhost", Origins: []string{site}})
		s := &stack{p: p, site: site, appID: app.ID, apiKey: key}

		// A user with two passkeys: the first registration's nonce and an
		// authentication's nonce are left for the module to redeem.
		phone, laptop := newPerson(t, s), newPerson(t, s)
		tx := createRegisterTransaction(t, s, "compat-user")
		registerNonce := phone.registerPasskey(tx)
		laptop.registerPasskey(createRegisterTransaction(t, s, "compat-user"))
		_, authenticateNonce := phone.authenticate("")
		if authenticateNonce == "" {
			t.Fatal("no authenticate nonce")
		}

		ctx, cancel := context.WithTimeout(t.Context(), exampletest.WaitLimit*3)
		defer cancel()
		cmd := exec.CommandContext(ctx, "node", "--test", "--test-reporter=tap", "test/compat.test.js")
		cmd.Dir = exampleDir(t)
		cmd.Env = append(os.Environ(),
			"PASSBRIDGE_URL="+p.Issuer,
			"PASSBRIDGE_APP_ID="+app.ID,
			"PASSBRIDGE_API_KEY="+key,
			"COMPAT_OTHER_API_KEY="+otherKey,
			"COMPAT_EXTERNAL_ID=compat-user",
			"COMPAT_REGISTER_NONCE="+registerNonce,
			"COMPAT_AUTHENTICATE_NONCE="+authenticateNonce,
		)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("node --test test/compat.test.js: %v\n%s", err, out)
		}
		summary := map[string]string{}
		for _, m := range regexp.MustCompile(`(?m)^# (pass|fail|skipped|todo) (\d+)$`).FindAllStringSubmatch(string(out), -1) {
			summary[m[1]] = m[2]
		}
		if summary["fail"] != "0" || summary["skipped"] != "0" || summary["todo"] != "0" || summary["pass"] == "" || summary["pass"] == "0" {
			t.Fatalf("node --test: %v, want every test run and passed\n%s", summary, out)
		}
		t.Logf("node --test test/compat.test.js: %s tests passed", summary["pass"])
	})
}

// createRegisterTransaction is the backend's call, made here with the API
// key over HTTP as any backend makes it.
func createRegisterTransaction(t *testing.T, s *stack, externalID string) string {
	t.Helper()
	status, out := newPerson(t, s).do(http.MethodPost, s.p.Issuer+"/v1/apps/"+s.appID+"/transactions/register",
		map[string]string{"external_id": externalID, "passkey_display_name": externalID},
		map[string]string{"Authorization": "Bearer " + s.apiKey})
	if status != http.StatusOK {
		t.Fatalf("create register transaction: %d %v", status, out)
	}
	return out["transaction_id"].(string)
}
