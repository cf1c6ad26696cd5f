package adminapi_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/passbridge/passbridge/ceremony/softauthn"
	"github.com/passbridge/passbridge/provider/internal/apitest"
	"github.com/passbridge/passbridge/provider/settings"
)

// summary is what an import answers.
type summary struct {
	DryRun bool `json:"dry_run"`
	Lines  int  `json:"lines"`
	Users  struct {
		Created, Unchanged, Refused int
	} `json:"users"`
	Devices struct {
		Created, Unchanged, Refused int
	} `json:"devices"`
	Refusals []struct {
		Line   int    `json:"line"`
		Reason string `json:"reason"`
	} `json:"refusals"`
}

// An export streams an app's users and passkeys as NDJSON; importing it
// into another app of the same RP ID creates them, once: a second import
// changes nothing, a dry run writes nothing, and an app of another RP ID
// refuses the whole export with 422.
func TestExportImport(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		adaID := e.register(softauthn.New(softauthn.Options{}), "ada")
		e.register(softauthn.New(softauthn.Options{}), "ada")
		e.register(softauthn.New(softauthn.Options{BackupEligible: true, BackedUp: true}), "bob")

		r := e.do("GET", "/apps/{app}/export", nil)
		ok(t, r, http.StatusOK, nil)
		if ct := r.Header.Get("Content-Type"); ct != "application/x-ndjson" {
			t.Fatalf("Content-Type %q", ct)
		}
		if cd := r.Header.Get("Content-Disposition"); !strings.Contains(cd, "attachment") {
			t.Fatalf("Content-Disposition %q", cd)
		}
		export := r.Body
		var lines []map[string]any
		sc := bufio.NewScanner(bytes.NewReader(export))
		for sc.Scan() {
			var v map[string]any
			if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
				t.Fatalf("line %q: %v", sc.Text(), err)
			}
			lines = append(lines, v)
		}
		if len(lines) != 3 || lines[0]["format"] != "passbridge-export" || lines[0]["rp_id"] != testRPID ||
			lines[1]["external_id"] != "ada" || len(lines[1]["devices"].([]any)) != 2 || lines[2]["external_id"] != "bob" {
			t.Fatalf("export:\n%s", export)
		}
		for _, secret := range []string{e.apiKey, e.key} {
			if bytes.Contains(export, []byte(secret)) {
				t.Fatal("the export holds a key")
			}
		}
		e.wantEvents(0, "app.exported")

		// Into a new app of the same RP ID, through the API.
		var twin settings.AppJSON
		ok(t, e.do("POST", "/apps", map[string]any{"name": "Twin", "rp_id": testRPID, "origins": []string{testOrigin}}), http.StatusCreated, &twin)
		importPath := "/apps/" + twin.ID + "/import"

		var dry summary
		ok(t, e.send(call{method: "POST", path: importPath + "?dry_run=true", body: export,
			header: map[string]string{"Content-Type": "application/x-ndjson"}}), http.StatusOK, &dry)
		if !dry.DryRun || dry.Users.Created != 2 || dry.Devices.Created != 3 {
			t.Fatalf("dry run %+v", dry)
		}
		if users, _, err := e.st.ListUsers(e.ctx, twin.ID, storageQuery()); err != nil || len(users) != 0 {
			t.Fatalf("a dry run wrote %d users (%v)", len(users), err)
		}

		var sum summary
		ok(t, e.send(call{method: "POST", path: importPath, body: export}), http.StatusOK, &sum)
		if sum.DryRun || sum.Lines != 3 || sum.Users.Created != 2 || sum.Devices.Created != 3 || len(sum.Refusals) != 0 {
			t.Fatalf("import %+v", sum)
		}
		imported, err := e.st.GetUserByExternalID(e.ctx, twin.ID, "ada")
		if err != nil {
			t.Fatal(err)
		}
		original, err := e.st.GetUser(e.ctx, e.app.ID, adaID)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(imported.Handle, original.Handle) {
			t.Fatal("the user handle changed on the way")
		}
		ok(t, e.send(call{method: "POST", path: importPath + "?dry_run=false", body: export}), http.StatusOK, &sum)
		if sum.Users.Created != 0 || sum.Users.Unchanged != 2 || sum.Devices.Unchanged != 3 {
			t.Fatalf("second import %+v", sum)
		}
		// A line that is not a user is refused with its number; the rest go in.
		ok(t, e.send(call{method: "POST", path: importPath, body: strings.TrimRight(string(export), "\n") + "\n{\"external_id\": 5}\n"}), http.StatusOK, &sum)
		if len(sum.Refusals) != 1 || sum.Refusals[0].Line != 4 || sum.Users.Refused != 1 {
			t.Fatalf("import with a bad line %+v", sum)
		}
		for _, ev := range e.events() {
			if ev.Type == "user.imported" && ev.AppID != twin.ID {
				t.Fatalf("import recorded in another app: %+v", ev)
			}
		}
		imports := 0
		for _, ev := range e.events() {
			if ev.Type == "user.imported" {
				imports++
			}
		}
		if imports != 2 {
			t.Fatalf("%d user.imported events by the admin key, want 2", imports)
		}

		// An import may be larger than the server's body limit (1 MiB):
		// it is read as a stream.
		large := strings.TrimRight(string(export), "\n") + strings.Repeat("\n", 1<<21)
		ok(t, e.send(call{method: "POST", path: importPath + "?dry_run=true", body: large}), http.StatusOK, &sum)
		if sum.Lines != 3 || sum.Users.Unchanged != 2 {
			t.Fatalf("large import %+v", sum)
		}
		apitest.WantError(t, e.do("POST", "/apps/"+twin.ID+"/api-keys", `{"name":"`+strings.Repeat("n", 1<<21)+`"}`),
			http.StatusRequestEntityTooLarge, "request_too_large")

		// Another RP ID: refused whole, with 422, and nothing changes.
		var elsewhere settings.AppJSON
		ok(t, e.do("POST", "/apps", map[string]any{"name": "Elsewhere", "rp_id": "example.com", "origins": []string{"https://example.com"}}),
			http.StatusCreated, &elsewhere)
		before := e.snapshot()
		r = e.send(call{method: "POST", path: "/apps/" + elsewhere.ID + "/import", body: export})
		apitest.WantError(t, r, http.StatusUnprocessableEntity, "rp_id_mismatch")
		says(t, r, `"localhost"`, `"example.com"`)
		for _, tc := range []struct {
			name   string
			call   call
			status int
			code   string
		}{
			{"bad dry_run", call{method: "POST", path: importPath + "?dry_run=maybe", body: export}, 400, "invalid_request"},
			{"dry_run twice", call{method: "POST", path: importPath + "?dry_run=true&dry_run=false", body: export}, 400, "invalid_request"},
			{"another format", call{method: "POST", path: importPath, body: `{"format": "pocket-id", "version": 1}` + "\n"}, 400, "invalid_request"},
			{"unknown app", call{method: "POST", path: "/apps/nope/import", body: export}, 404, "app_not_found"},
			{"export of an unknown app", call{method: "GET", path: "/apps/nope/export"}, 404, "app_not_found"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				apitest.WantError(t, e.sendT(t, tc.call), tc.status, tc.code)
			})
		}
		e.unchanged(t, before)
	})
}
