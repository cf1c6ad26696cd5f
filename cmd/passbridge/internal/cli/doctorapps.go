package cli

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/passbridge/passbridge/ceremony"
	"github.com/passbridge/passbridge/cmd/passbridge/internal/config"
	"github.com/passbridge/passbridge/provider/signing"
	"github.com/passbridge/passbridge/storage"
)

// checkApps checks every app's settings and its fit with the issuer, and
// every OIDC client's.
func (d *doctor) checkApps(ctx context.Context, st storage.Store, cfg config.Config, mk doctorKey) {
	apps, err := st.ListApps(ctx)
	if err != nil {
		d.add(checkFail, "apps", "", "cannot list them: %v", err)
		return
	}
	if len(apps) == 0 {
		d.add(checkWarn, "apps", "", "none: serve creates a default app for the issuer at its first start; "+
			"or create one with passbridge apps create")
		return
	}
	issuerOK := usableIssuer(cfg.Issuer) != nil
	for _, app := range apps {
		clients, err := st.ListClients(ctx, app.ID)
		if err != nil {
			d.add(checkFail, "app", app.ID, "cannot list its clients: %v", err)
			continue
		}
		// Stored apps passed these rules when they were written; an app
		// from an older passbridge or an edited row may not.
		if _, err := ceremony.PrepareApp(app); err != nil {
			d.add(checkFail, "app", app.ID, "%q: %v; fix with passbridge apps update %s", app.Name, err, app.ID)
		}
		var misfit error
		if issuerOK {
			misfit = ceremony.CheckIssuerFit(app, cfg.Issuer)
			d.appFit(app, len(clients), cfg.Issuer, misfit)
		}
		for _, cl := range clients {
			d.checkClient(app, cl, misfit, mk)
		}
	}
	if !issuerOK {
		d.add(checkSkip, "apps", "", "fit with the issuer not checked: the issuer is not usable (see config)")
	}
}

// appFit reports whether the sign-in and account pages, on the issuer's
// origin, can run the app's ceremonies.
func (d *doctor) appFit(app storage.App, clients int, issuer string, misfit error) {
	if misfit == nil {
		d.add(checkOK, "app", app.ID, "%q fits the issuer: the sign-in page (for its %d OIDC client(s)) and the account page "+
			"can run its ceremonies", app.Name, clients)
		return
	}
	status, impact := checkWarn, "its users cannot use the account page (which is fine for an app used only through the "+
		"Flex or start/finish APIs, on origins of its own)"
	if clients > 0 {
		status, impact = checkFail, fmt.Sprintf("its %d OIDC client(s) cannot sign in, and its users cannot use the account page", clients)
	}
	d.add(status, "app", app.ID, "%q does not fit the issuer %s: %v; %s. %s", app.Name, issuer, misfit, impact, fitFix(app, misfit))
}

// fitFix says how to make an app fit the issuer.
func fitFix(app storage.App, misfit error) string {
	var m *ceremony.IssuerMisfit
	switch {
	case !errors.As(misfit, &m):
		return "Serve the issuer on a host name over https (http only on localhost)"
	case m.ForeignRPID:
		return fmt.Sprintf("Passkeys are bound to their RP ID: serve the issuer on a host under %s (such as https://id.%s), "+
			"or give the clients an app whose rp_id is %s (changing this app's rp_id strands its users' passkeys)",
			app.RPID, app.RPID, m.Host)
	default:
		cmd := "passbridge apps update " + app.ID
		for _, o := range append(append([]string{}, app.Origins...), m.Origin) {
			cmd += " --origin " + o
		}
		return "Add the issuer's origin to the app's: " + cmd
	}
}

// checkClient checks a client's redirect URIs, its app's fit with the
// issuer and its sealed secret.
func (d *doctor) checkClient(app storage.App, cl storage.Client, misfit error, mk doctorKey) {
	failed := false
	fail := func(format string, args ...any) {
		failed = true
		d.add(checkFail, "client", cl.ID, format, args...)
	}
	if len(cl.RedirectURIs) == 0 {
		fail("no redirect URI: no sign-in can come back; add one with passbridge clients update %s --redirect-uri URI", cl.ID)
	}
	for _, list := range []struct {
		field, flag string
		uris        []string
	}{
		{"redirect_uri", "--redirect-uri", cl.RedirectURIs},
		{"post_logout_redirect_uri", "--post-logout-redirect-uri", cl.PostLogoutRedirectURIs},
	} {
		if problems := redirectProblems(list.field, list.uris); len(problems) > 0 {
			fail("%s; fix with passbridge clients update %s %s (the flag replaces the list)",
				strings.Join(problems, "; "), cl.ID, redirectFix(list.flag, list.uris))
		}
	}
	if misfit != nil {
		fail("cannot sign in: its app %s does not fit the issuer (see app %s)", app.ID, app.ID)
	}
	if cl.AuthMethod == storage.AuthMethodPrivateKeyJWT && len(cl.JWKS) == 0 && cl.JWKSURI == "" {
		fail("private_key_jwt without keys: it cannot authenticate; register them with passbridge clients update %s "+
			"--jwks-file F (or --jwks-uri URL)", cl.ID)
	}
	if len(cl.SecretSealed) > 0 && mk.key != nil {
		_, err := signing.OpenClientSecret(mk.key, cl.ID, cl.SecretSealed)
		if errors.Is(err, signing.ErrDecrypt) {
			err = errors.New("its sealed secret does not decrypt with this master key")
		}
		if err != nil {
			fail("%v: request objects it signs with its secret (HS256) are refused; issue a new secret with "+
				"passbridge clients update %s --rotate-secret", err, cl.ID)
		}
	}
	if !failed {
		d.add(checkOK, "client", cl.ID, "%q of app %s: redirect URIs %s", cl.Name, app.ID, strings.Join(cl.RedirectURIs, ", "))
	}
}

// redirectProblems checks redirect URIs as clients create does, naming
// every bad one.
func redirectProblems(field string, uris []string) []string {
	var problems []string
	for _, u := range uris {
		if err := checkRedirectURI(u); err != nil {
			problems = append(problems, fmt.Sprintf("%s %q: %v", field, u, err))
		}
	}
	return problems
}

// redirectFix is the flags that replace uris with a list that passes:
// plain http ones moved to https, the others kept. A URI that https does
// not mend is left to the operator.
func redirectFix(flag string, uris []string) string {
	var parts []string
	for _, raw := range uris {
		fixed := raw
		if checkRedirectURI(raw) != nil {
			if u, err := url.Parse(raw); err == nil && strings.EqualFold(u.Scheme, "http") {
				u.Scheme = "https"
				fixed = u.String()
			}
			if checkRedirectURI(fixed) != nil {
				fixed = "URI"
			}
		}
		parts = append(parts, flag+" "+fixed)
	}
	return strings.Join(parts, " ")
}
