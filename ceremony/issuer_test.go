package ceremony_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/passbridge/passbridge/ceremony"
	"github.com/passbridge/passbridge/storage"
)

func TestCheckIssuerFit(t *testing.T) {
	app := func(rpID string, origins ...string) storage.App { return storage.App{RPID: rpID, Origins: origins} }
	tests := []struct {
		name   string
		app    storage.App
		issuer string
		want   string // "" fits
	}{
		{"fits", app("localhost", "http://localhost:8080"), "http://localhost:8080", ""},
		{"registrable suffix", app("example.com", "https://id.example.com"), "https://id.example.com/oidc", ""},
		{"issuer in capitals", app("example.com", "https://id.example.com"), "HTTPS://ID.Example.com", ""},
		{"default port", app("example.com", "https://id.example.com"), "https://id.example.com:443", ""},
		{"among others", app("example.com", "https://app.example.com", "https://id.example.com"), "https://id.example.com", ""},
		{"origin missing", app("example.com", "https://app.example.com"), "https://id.example.com", "origin https://id.example.com is not among"},
		{"rp id elsewhere", app("other.com", "https://id.example.com"), "https://id.example.com", "rp_id other.com is neither the issuer's host id.example.com"},
		{"rp id a sibling", app("app.example.com", "https://id.example.com"), "https://id.example.com", "rp_id app.example.com is neither"},
		{"rp id a mere string suffix", app("ample.com", "https://id.example.com"), "https://id.example.com", "rp_id ample.com is neither"},
		{"port differs", app("localhost", "http://localhost:3000"), "http://localhost:8080", "origin http://localhost:8080"},
		{"scheme differs", app("example.com", "http://id.example.com"), "https://id.example.com", "origin https://id.example.com is not among"},
		{"issuer on an IP address", app("localhost", "http://localhost:8080"), "https://127.0.0.1:8443", "cannot run passkey ceremonies: it must name a host"},
		{"issuer on a loopback address", app("localhost", "http://localhost:8080"), "http://127.0.0.1:8080", "cannot run passkey ceremonies: it must use https"},
		{"issuer on plain http", app("example.com", "https://id.example.com"), "http://id.example.com", "cannot run passkey ceremonies: it must use https"},
		{"issuer not a URL", app("localhost", "http://localhost:8080"), "localhost:8080", "is not an absolute URL"},
		{"both", app("other.com", "https://other.com"), "https://id.example.com",
			"origin https://id.example.com is not among the app's origins; rp_id other.com is neither"},
	}
	for _, tt := range tests {
		err := ceremony.CheckIssuerFit(tt.app, tt.issuer)
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%s: %v, want a fit", tt.name, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("%s: %v, want %q", tt.name, err, tt.want)
		}
	}

	// The misfit says which part to fix.
	var m *ceremony.IssuerMisfit
	err := ceremony.CheckIssuerFit(app("example.com", "https://app.example.com"), "https://ID.example.com:443/oidc")
	if !errors.As(err, &m) || !m.MissingOrigin || m.ForeignRPID || m.Origin != "https://id.example.com" || m.Host != "id.example.com" {
		t.Errorf("origin missing: %#v", err)
	}
	err = ceremony.CheckIssuerFit(app("other.com", "https://id.example.com"), "https://id.example.com")
	if !errors.As(err, &m) || m.MissingOrigin || !m.ForeignRPID || m.RPID != "other.com" {
		t.Errorf("rp id elsewhere: %#v", err)
	}
	if err := ceremony.CheckIssuerFit(app("localhost", "http://localhost"), "http://127.0.0.1"); errors.As(err, &m) {
		t.Errorf("an issuer no app can fit is not the app's misfit: %#v", err)
	}
}
