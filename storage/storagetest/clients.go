package storagetest

import (
	"testing"
	"time"

	"github.com/passbridge/passbridge/storage"
)

func clientTests() []test {
	return []test{
		{"RoundTrip", testClientRoundTrip},
		{"NotFound", testClientNotFound},
		{"DuplicateID", testClientDuplicateID},
		{"Update", testClientUpdate},
		{"List", testClientList},
		{"Delete", testClientDelete},
		{"ExternalHint", testClientExternalHint},
		{"AnyImplicit", testClientAnyImplicit},
	}
}

func clientKey(c storage.Client) (time.Time, string) { return c.CreatedAt, c.ID }

func testClientRoundTrip(t *testing.T, s storage.Store) {
	app := mustCreateApp(t, s)
	public := newClient(app.ID)
	public.SecretHash = nil
	public.AuthMethod = storage.AuthMethodNone
	public.PostLogoutRedirectURIs = nil
	public.JWKS = nil
	public.AccessTokenType = "bearer"
	public.Implicit, public.HintIssuer, public.HintJWKSURI, public.HintJWKS = false, "", "", nil
	public.HintAudience, public.HintTenant, public.HintUserClaim, public.HintEnrol = "", "", "", false
	for _, tc := range []struct {
		name   string
		client storage.Client
	}{
		{"EveryField", newClient(app.ID)},
		{"Public", public},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mustOK(t, s.CreateClient(t.Context(), tc.client), "create client")
			got, err := s.GetClient(t.Context(), tc.client.ID)
			mustOK(t, err, "get client")
			checkSame(t, "Client", got, tc.client)
		})
	}
}

func testClientNotFound(t *testing.T, s storage.Store) {
	ctx := t.Context()
	app := mustCreateApp(t, s)
	mustCreateClient(t, s, app.ID)
	unknown := "client-" + storage.NewID()
	_, err := s.GetClient(ctx, unknown)
	requireNotFound(t, err, "get unknown client")
	requireUpdateNotFound(t, "update unknown client", func(fn func(storage.Client) (storage.Client, error)) (storage.Client, error) {
		return s.UpdateClient(ctx, unknown, fn)
	})
	requireNotFound(t, s.DeleteClient(ctx, unknown), "delete unknown client")
}

func testClientDuplicateID(t *testing.T, s storage.Store) {
	ctx := t.Context()
	app := mustCreateApp(t, s)
	other := mustCreateApp(t, s)
	c := mustCreateClient(t, s, app.ID)
	for _, appID := range []string{app.ID, other.ID} {
		dup := newClient(appID)
		dup.ID = c.ID
		requireAlreadyExists(t, s.CreateClient(ctx, dup), "create client with a taken id")
	}
	got, err := s.GetClient(ctx, c.ID)
	mustOK(t, err, "get client")
	checkSame(t, "Client", got, c)
}

func changeClient(c storage.Client) storage.Client {
	secret, _ := storage.NewSecret(storage.PrefixClientSecret)
	c.Name = "Wiki (renamed)"
	c.SecretHash = storage.HashSecret(secret)
	c.AuthMethod = storage.AuthMethodBasic
	c.RedirectURIs = []string{"https://wiki.example/oidc/callback"}
	c.PostLogoutRedirectURIs = []string{"https://wiki.example/"}
	c.JWKS = []byte(`{"keys":[]}`)
	c.AccessTokenType = "bearer"
	c.UpdatedAt = odd(time.Hour)
	return c
}

func testClientUpdate(t *testing.T, s storage.Store) {
	ctx := t.Context()
	app := mustCreateApp(t, s)
	c := mustCreateClient(t, s, app.ID)
	neighbour := mustCreateClient(t, s, app.ID)
	update := func(fn func(storage.Client) (storage.Client, error)) (storage.Client, error) {
		return s.UpdateClient(ctx, c.ID, fn)
	}
	get := func() (storage.Client, error) { return s.GetClient(ctx, c.ID) }

	requireUpdateRefused(t, "UpdateClient", c, changeClient, update, get)
	changed := requireUpdated(t, "UpdateClient", c, changeClient, update, get)
	requireUpdated(t, "UpdateClient to public", changed, func(c storage.Client) storage.Client {
		c.SecretHash = nil
		c.AuthMethod = storage.AuthMethodNone
		c.PostLogoutRedirectURIs = nil
		c.JWKS = nil
		return c
	}, update, get)

	got, err := s.GetClient(ctx, neighbour.ID)
	mustOK(t, err, "get neighbour")
	checkSame(t, "untouched Client", got, neighbour)
}

func testClientList(t *testing.T, s storage.Store) {
	ctx := t.Context()
	app := mustCreateApp(t, s)
	other := mustCreateApp(t, s)
	empty := mustCreateApp(t, s)
	var clients []storage.Client
	for _, h := range []time.Duration{3, 1, 2, 1} {
		c := newClient(app.ID)
		c.CreatedAt = odd(h * time.Hour)
		mustOK(t, s.CreateClient(ctx, c), "create client")
		clients = append(clients, c)
	}
	otherClient := mustCreateClient(t, s, other.ID)
	for _, tc := range []struct {
		name  string
		appID string
		want  []storage.Client
	}{
		{"app", app.ID, clients},
		{"another app", other.ID, []storage.Client{otherClient}},
		{"app without clients", empty.ID, nil},
	} {
		got, err := s.ListClients(ctx, tc.appID)
		mustOK(t, err, "list clients of "+tc.name)
		requireListed(t, "ListClients of "+tc.name, got, tc.want, clientKey, false)
	}
}

// testClientDelete also deletes a client that has signed users in: an
// operator must be able to remove a client that was used.
func testClientDelete(t *testing.T, s storage.Store) {
	ctx := t.Context()
	w := newWorld(t, s)
	kept := mustCreateClient(t, s, w.App.ID)
	req := mustCreateAuthRequest(t, s, newAuthRequest(w.App.ID, w.Client.ID, w.User.ID, w.Device.ID, w.Session.ID))
	mustCreateAuthCode(t, s, newAuthCode(req.ID))
	rt := mustCreateRefreshToken(t, s, newRefreshToken(w.App.ID, w.Client.ID, w.User.ID, w.Session.ID, w.Device.ID))
	mustCreateAccessToken(t, s, newAccessToken(w.App.ID, w.Client.ID, w.User.ID, w.Session.ID, w.Device.ID, rt.ID))

	mustOK(t, s.DeleteClient(ctx, w.Client.ID), "delete client with requests and tokens")
	_, err := s.GetClient(ctx, w.Client.ID)
	requireNotFound(t, err, "get deleted client")
	requireNotFound(t, s.DeleteClient(ctx, w.Client.ID), "delete client twice")
	list, err := s.ListClients(ctx, w.App.ID)
	mustOK(t, err, "list clients")
	requireListed(t, "ListClients", list, []storage.Client{kept}, clientKey, false)
}

// testClientExternalHint: an external authentication method's profile
// (implicit, the hint issuer) survives an update that leaves it alone, and
// an update can take it off again.
func testClientExternalHint(t *testing.T, s storage.Store) {
	ctx := t.Context()
	app := mustCreateApp(t, s)
	c := newClient(app.ID)
	c.HintJWKSURI = ""
	mustOK(t, s.CreateClient(ctx, c), "create client")
	renamed, err := s.UpdateClient(ctx, c.ID, func(c storage.Client) (storage.Client, error) {
		c.Name = "renamed"
		return c, nil
	})
	mustOK(t, err, "rename client")
	want := c
	want.Name, want.UpdatedAt = "renamed", renamed.UpdatedAt
	got, err := s.GetClient(ctx, c.ID)
	mustOK(t, err, "get client")
	checkSame(t, "Client", got, want)
	_, err = s.UpdateClient(ctx, c.ID, func(c storage.Client) (storage.Client, error) {
		c.Implicit, c.HintIssuer, c.HintJWKS, c.HintJWKSURI = false, "", nil, "https://login.example/keys"
		c.HintAudience, c.HintTenant, c.HintUserClaim, c.HintEnrol = "", "", "", false
		return c, nil
	})
	mustOK(t, err, "clear the profile")
	got, err = s.GetClient(ctx, c.ID)
	mustOK(t, err, "get client")
	if got.Implicit || got.HintIssuer != "" || got.HintJWKS != nil || got.HintJWKSURI != "https://login.example/keys" ||
		got.HintAudience != "" || got.HintTenant != "" || got.HintUserClaim != "" || got.HintEnrol {
		t.Errorf("profile after clearing it: %+v", got)
	}
}

// testClientAnyImplicit: the answer follows the clients, of every app.
func testClientAnyImplicit(t *testing.T, s storage.Store) {
	ctx := t.Context()
	want := func(v bool, when string) {
		t.Helper()
		got, err := s.AnyImplicitClient(ctx)
		mustOK(t, err, "any implicit client "+when)
		if got != v {
			t.Errorf("AnyImplicitClient %s = %v, want %v", when, got, v)
		}
	}
	want(false, "with no client")
	app := mustCreateApp(t, s)
	plain := newClient(app.ID)
	plain.Implicit = false
	mustOK(t, s.CreateClient(ctx, plain), "create client")
	want(false, "with a code client")
	other := mustCreateApp(t, s)
	implicit := newClient(other.ID)
	mustOK(t, s.CreateClient(ctx, implicit), "create implicit client")
	want(true, "with an implicit client of another app")
	_, err := s.UpdateClient(ctx, implicit.ID, func(c storage.Client) (storage.Client, error) {
		c.Implicit = false
		return c, nil
	})
	mustOK(t, err, "update client")
	want(false, "once the implicit client is not")
}
