package chaos

import (
	"fmt"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/passbridge/passbridge/provider/loadflow"
)

// badCall is one request of the corpus run.
type badCall struct {
	method, path, ctype, body string
	header                    map[string]string
}

// testBadInput sends the corpus to every endpoint, scoped to a second app
// and client, while the load runs on the first: no 5xx, no driver text,
// nothing of the second app changed, and the load as fast afterwards as
// before.
func testBadInput(t *testing.T, w *World, load *Load, p profile, tab *Table) {
	ctx := t.Context()
	w.Ledger.Reset()
	w.Watch.Take()
	o := w.Provision(ctx, t, "chaos-bad-input")
	// A user with a passkey in the second app, for the routes that name one.
	f, err := loadflow.New(loadflow.FlexAuth, w.Target(o, 2, "bad"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.NewUser(ctx, 0); err != nil {
		t.Fatal(err)
	}
	var users, devices struct {
		Items []struct {
			ID string `json:"id"`
		} `json:"items"`
	}
	if err := adminJSON(ctx, w.Proxy.URL, w.AdminKey, "GET", "/apps/"+o.AppID+"/users", nil, &users); err != nil || len(users.Items) != 1 {
		t.Fatalf("the second app's user: %v %+v", err, users)
	}
	uid := users.Items[0].ID
	if err := adminJSON(ctx, w.Proxy.URL, w.AdminKey, "GET", "/apps/"+o.AppID+"/users/"+uid+"/devices", nil, &devices); err != nil || len(devices.Items) != 1 {
		t.Fatalf("the second app's device: %v %+v", err, devices)
	}
	did := devices.Items[0].ID
	calls := corpusCalls(w, o.AppID, o.APIKey, o.ClientID, o.ClientSecret, uid, did)

	before, err := TakeSnapshot(ctx, w.DB, w.Cfg.Engine, o.AppID)
	if err != nil {
		t.Fatal(err)
	}
	w.Proxy.SetPin(nil)
	defer w.Proxy.SetPin(SpreadPin)
	pre := load.RunFor(ctx, p.BadWindow)
	load.Start(ctx)
	var (
		sent, fivexx int
		mu           sync.Mutex
		statuses     = map[int]int{}
	)
	for range p.BadRounds {
		jobs := make(chan badCall)
		var wg sync.WaitGroup
		for range 4 {
			wg.Go(func() {
				for c := range jobs {
					st, body, err := call(ctx, c.method, w.Proxy.URL, c.path, c.ctype, []byte(c.body), c.header)
					mu.Lock()
					sent++
					statuses[st]++
					switch {
					case err != nil:
						t.Errorf("%s %.120q: %v", c.method, c.path, err)
					case st >= 500:
						fivexx++
						t.Errorf("%s %.120q (%s, %.60q): %d %.300s", c.method, c.path, c.ctype, c.body, st, body)
					}
					for _, l := range leaks {
						if strings.Contains(string(body), l) {
							t.Errorf("%s %.120q: %q in the answer: %.300s", c.method, c.path, l, body)
						}
					}
					mu.Unlock()
				}
			})
		}
		for _, c := range calls {
			jobs <- c
		}
		close(jobs)
		wg.Wait()
	}
	during := load.Stop()
	post := load.RunFor(ctx, p.BadWindow)
	after, err := TakeSnapshot(ctx, w.DB, w.Cfg.Engine, o.AppID)
	if err != nil {
		t.Fatal(err)
	}
	changed := 0
	for table, b := range before {
		if after[table] != b {
			changed++
			t.Errorf("%s of the second app changed under the corpus: %s → %s", table, b, after[table])
		}
	}
	for _, r := range []Result{pre, during, post} {
		if f := r.Failed(); len(f) > 0 {
			t.Errorf("%d iterations of the load failed: %s", len(f), strings.Join(ReasonList(r.Reasons()), "; "))
		}
	}
	if post.Rate() < 0.5*pre.Rate() {
		// One more window: the machine is shared, a slow one may be another
		// package's doing.
		post = load.RunFor(ctx, p.BadWindow)
		if post.Rate() < 0.5*pre.Rate() {
			t.Errorf("the load after the corpus ran at %.1f/s, before at %.1f/s", post.Rate(), pre.Rate())
		}
	}
	lost, double := checkStore(t, w)
	t.Logf("corpus: %d requests to %d endpoint variants, answers %v; load %.1f/s before, %.1f/s during, %.1f/s after; snapshot %v",
		sent, len(calls), statuses, pre.Rate(), during.Rate(), post.Rate(), before)
	tab.Add(Row{Scenario: "bad input at volume (3 instances, PostgreSQL), load on another app", Iterations: pre.OK() + during.OK() + post.OK(),
		Rate: during.Rate(), Faults: fmt.Sprintf("%d corpus requests (%d 5xx, %d tables of the target app changed)", sent, fivexx, changed),
		Failed: len(pre.Failed()) + len(during.Failed()) + len(post.Failed()), Lost: lost, Double: double,
		Recovery: fmt.Sprintf("load %.1f/s before, %.1f/s during, %.1f/s after", pre.Rate(), during.Rate(), post.Rate())})
}

// corpusCalls is every endpoint with every body of the corpus.
func corpusCalls(w *World, app, key, clientID, secret, uid, did string) []badCall {
	var calls []badCall
	v1 := "/v1/apps/" + app + "/"
	adm := "/admin/v1/apps/" + app
	origin := map[string]string{"Origin": w.Proxy.URL, "Passage-Flex-Version": "1"}
	apiKey, adminKey := bearer(key), bearer(w.AdminKey)
	jsonRoutes := []struct {
		method, path string
		header       map[string]string
	}{
		{"POST", v1 + "transactions/register", apiKey},
		{"POST", v1 + "transactions/authenticate", apiKey},
		{"POST", v1 + "authenticate/verify", apiKey},
		{"PATCH", v1 + "users/" + uid + "/devices/" + did, apiKey},
		{"POST", v1 + "users/" + uid + "/enrolment-links", apiKey},
		{"POST", v1 + "register/transactions/webauthn/start", origin},
		{"POST", v1 + "register/transactions/webauthn/finish", origin},
		{"POST", v1 + "authenticate/transactions/webauthn/start", origin},
		{"POST", v1 + "authenticate/transactions/webauthn/finish", origin},
		{"POST", v1 + "passkeys/register/start", apiKey},
		{"POST", v1 + "passkeys/register/finish", apiKey},
		{"POST", v1 + "passkeys/authenticate/start", apiKey},
		{"POST", v1 + "passkeys/authenticate/finish", apiKey},
		{"POST", v1 + "run-command", apiKey},
		{"POST", "/admin/v1/apps", adminKey},
		{"PATCH", adm, adminKey},
		{"POST", adm + "/api-keys", adminKey},
		{"POST", adm + "/clients", adminKey},
		{"PATCH", adm + "/clients/" + clientID, adminKey},
		{"PATCH", adm + "/users/" + uid, adminKey},
		{"PATCH", adm + "/users/" + uid + "/devices/" + did, adminKey},
		{"POST", adm + "/users/" + uid + "/enrolment-links", adminKey},
		{"POST", adm + "/import", adminKey},
		{"POST", "/login/complete", nil},
	}
	for _, r := range jsonRoutes {
		for _, b := range BadJSON() {
			calls = append(calls, badCall{r.method, r.path, b.Type, b.Body, r.header})
		}
	}
	for _, path := range []string{"/oauth/token", "/oauth/introspect", "/revoke"} {
		for _, b := range BadForms(clientID, secret) {
			calls = append(calls, badCall{"POST", path, b.Type, b.Body, nil})
		}
	}
	redirect := url.QueryEscape("http://127.0.0.1/passbridge-bench/callback")
	for _, s := range badStrings {
		q := url.QueryEscape(s)
		for _, g := range []struct {
			path   string
			header map[string]string
		}{
			{v1 + "users?identifier=" + q + "&limit=" + q + "&page=" + q, apiKey},
			{v1 + "users/" + q, apiKey},
			{v1 + "users/" + uid + "/devices?x=" + q, apiKey},
			{adm + "/users?external_id=" + q + "&status=" + q + "&limit=" + q + "&cursor=" + q, adminKey},
			{adm + "/users/" + q + "/devices", adminKey},
			{"/admin/v1/audit?app_id=" + q + "&since=" + q + "&until=" + q + "&type=" + q + "&limit=" + q, adminKey},
			{"/authorize?client_id=" + q + "&redirect_uri=" + redirect + "&response_type=code&scope=openid", nil},
			{"/authorize?client_id=" + clientID + "&redirect_uri=" + redirect + "&response_type=code&scope=openid&max_age=" + q +
				"&prompt=" + q + "&acr_values=" + q + "&login_hint=" + q, nil},
			{"/authorize?client_id=" + clientID + "&redirect_uri=" + redirect + "&response_type=code&scope=openid&request=" + q + "&claims=" + q, nil},
			{"/authorize/callback?id=" + q, nil},
			{"/end_session?id_token_hint=" + q + "&post_logout_redirect_uri=" + q + "&client_id=" + q, nil},
			{"/userinfo?access_token=" + q, nil},
			{"/userinfo", map[string]string{"Authorization": "Bearer " + strings.ReplaceAll(s, "\x00", "")}},
			{"/login?auth_request_id=" + q, nil},
			{"/login/ceremony?auth_request_id=" + q + "&display_name=" + q, nil},
		} {
			if strings.ContainsAny(g.header["Authorization"], "\r\n") {
				continue
			}
			calls = append(calls, badCall{"GET", g.path, "", "", g.header})
		}
		calls = append(calls, badCall{"POST", "/login/complete", "application/x-www-form-urlencoded", "auth_request_id=" + q + "&nonce=" + q, nil})
	}
	return calls
}
