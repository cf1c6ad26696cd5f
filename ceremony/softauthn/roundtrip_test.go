package softauthn_test

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"reflect"
	"testing"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"
	"github.com/passbridge/passbridge/ceremony/softauthn"
)

var iCloudKeychain = [16]byte{0xfb, 0xfc, 0x30, 0x07, 0x15, 0x4e, 0x4e, 0xcc, 0x8c, 0x0b, 0x6e, 0x02, 0x05, 0x57, 0xd7, 0xbd}

// registrationResponse is the part of RegistrationResponseJSON the round
// trip checks against the credential.
type registrationResponse struct {
	Response struct {
		PublicKey          string   `json:"publicKey"`
		PublicKeyAlgorithm int      `json:"publicKeyAlgorithm"`
		Transports         []string `json:"transports"`
	} `json:"response"`
	ClientExtensionResults struct {
		CredProps struct {
			RK bool `json:"rk"`
		} `json:"credProps"`
	} `json:"clientExtensionResults"`
}

func TestRoundTrip(t *testing.T) {
	algs := []struct {
		name string
		alg  int
	}{{"ES256", softauthn.AlgES256}, {"EdDSA", softauthn.AlgEdDSA}, {"RS256", softauthn.AlgRS256}}
	for _, alg := range algs {
		for _, att := range []string{softauthn.AttestationNone, softauthn.AttestationPacked} {
			for _, discoverable := range []bool{true, false} {
				name := alg.name + "/" + att + "/allowlist"
				if discoverable {
					name = alg.name + "/" + att + "/discoverable"
				}
				t.Run(name, func(t *testing.T) {
					t.Parallel()
					roundTrip(t, softauthn.Options{
						Algorithm:      alg.alg,
						Attestation:    att,
						AAGUID:         iCloudKeychain,
						BackupEligible: true,
						BackedUp:       true,
						SignCount:      7,
					}, discoverable)
				})
			}
		}
	}
}

func roundTrip(t *testing.T, opts softauthn.Options, discoverable bool) {
	rp := newRP(t)
	a := softauthn.New(opts)
	u := newUser("alice")

	options, session := rp.beginRegistration(t, u,
		webauthn.WithResidentKeyRequirement(protocol.ResidentKeyRequirementRequired),
		webauthn.WithExtensions(webauthn.WithExtensionCredProps()))
	resp, held, err := a.Register(options, rp.origin)
	if err != nil {
		t.Fatalf("Register: %v", err)
	}
	cred, err := rp.finishRegistration(u, session, resp)
	if err != nil {
		t.Fatalf("verify registration: %v\n%s", err, resp)
	}
	if cred.AttestationFormat != opts.Attestation {
		t.Errorf("attestation format = %q, want %q", cred.AttestationFormat, opts.Attestation)
	}
	if !bytes.Equal(cred.ID, held.ID) || len(held.ID) < 16 || len(held.ID) > 32 {
		t.Errorf("credential id %x (held %x), want the same 16 to 32 bytes", cred.ID, held.ID)
	}
	if !bytes.Equal(cred.Authenticator.AAGUID, iCloudKeychain[:]) {
		t.Errorf("aaguid = %x", cred.Authenticator.AAGUID)
	}
	if !cred.Flags.UserVerified || !cred.Flags.BackupEligible || !cred.Flags.BackupState {
		t.Errorf("flags = %+v, want UV BE BS", cred.Flags)
	}
	if cred.Authenticator.SignCount != 7 || cred.Authenticator.Attachment != protocol.Platform {
		t.Errorf("authenticator = %+v, want sign count 7 on a platform authenticator", cred.Authenticator)
	}
	if cred.Extensions.RK == nil || !*cred.Extensions.RK {
		t.Errorf("credProps rk = %v, want true", cred.Extensions.RK)
	}
	checkRegistrationJSON(t, resp, held, opts.Algorithm)

	for use := uint32(8); use <= 9; use++ {
		var options []byte
		var session *webauthn.SessionData
		if discoverable {
			options, session = rp.beginDiscoverable(t)
		} else {
			options, session = rp.beginLogin(t, u)
		}
		resp, err := a.Authenticate(options, rp.origin)
		if err != nil {
			t.Fatalf("Authenticate: %v", err)
		}
		var got *webauthn.Credential
		if discoverable {
			got, err = rp.finishDiscoverable(session, resp, newUser("bob"), u)
		} else {
			got, err = rp.finishLogin(u, session, resp)
		}
		if err != nil {
			t.Fatalf("verify assertion %d: %v\n%s", use, err, resp)
		}
		if got.Authenticator.SignCount != use || got.Authenticator.CloneWarning {
			t.Errorf("sign count = %d (clone warning %v), want %d", got.Authenticator.SignCount, got.Authenticator.CloneWarning, use)
		}
		u.creds[0] = *got
	}
	if held := a.Credentials()[0]; held.SignCount != 9 {
		t.Errorf("held sign count = %d, want 9", held.SignCount)
	}
}

// checkRegistrationJSON checks what go-webauthn does not: the SPKI public
// key, its algorithm, the transports and the credProps output.
func checkRegistrationJSON(t *testing.T, resp []byte, held *softauthn.Credential, alg int) {
	t.Helper()
	var r registrationResponse
	if err := json.Unmarshal(resp, &r); err != nil {
		t.Fatalf("decode response: %v", err)
	}
	der, err := base64.RawURLEncoding.DecodeString(r.Response.PublicKey)
	if err != nil {
		t.Fatalf("publicKey: %v", err)
	}
	pub, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		t.Fatalf("publicKey spki: %v", err)
	}
	if eq, ok := pub.(interface{ Equal(crypto.PublicKey) bool }); !ok || !eq.Equal(held.PublicKey()) {
		t.Errorf("publicKey %T differs from the credential's key", pub)
	}
	if r.Response.PublicKeyAlgorithm != alg {
		t.Errorf("publicKeyAlgorithm = %d, want %d", r.Response.PublicKeyAlgorithm, alg)
	}
	if want := []string{"internal", "hybrid"}; !reflect.DeepEqual(r.Response.Transports, want) {
		t.Errorf("transports = %v, want %v", r.Response.Transports, want)
	}
	if !r.ClientExtensionResults.CredProps.RK {
		t.Errorf("clientExtensionResults.credProps.rk is not true")
	}
}

func TestRoundTripSyncedCounterStaysZero(t *testing.T) {
	rp := newRP(t)
	a := softauthn.New(softauthn.Options{BackupEligible: true})
	u := newUser("alice")
	rp.register(t, a, u)
	for range 2 {
		options, session := rp.beginLogin(t, u)
		resp, err := a.Authenticate(options, rp.origin)
		if err != nil {
			t.Fatalf("Authenticate: %v", err)
		}
		got, err := rp.finishLogin(u, session, resp)
		if err != nil {
			t.Fatalf("verify assertion: %v", err)
		}
		if got.Authenticator.SignCount != 0 || got.Authenticator.CloneWarning {
			t.Fatalf("sign count = %d (clone warning %v), want 0", got.Authenticator.SignCount, got.Authenticator.CloneWarning)
		}
	}
}

func TestRoundTripSecurityKey(t *testing.T) {
	rp := newRP(t)
	a := softauthn.New(softauthn.Options{Attachment: softauthn.AttachmentCrossPlatform, SignCount: 1})
	u := newUser("alice")
	options, session := rp.beginRegistration(t, u,
		webauthn.WithResidentKeyRequirement(protocol.ResidentKeyRequirementDiscouraged),
		webauthn.WithExtensions(webauthn.WithExtensionCredProps()))
	resp, held, err := a.Register(options, rp.origin)
	if err != nil {
		t.Fatalf("Register: %v", err)
	}
	cred, err := rp.finishRegistration(u, session, resp)
	if err != nil {
		t.Fatalf("verify registration: %v", err)
	}
	if held.Discoverable || cred.Extensions.RK == nil || *cred.Extensions.RK {
		t.Errorf("discoverable %v, credProps rk %v: want a non-discoverable credential", held.Discoverable, cred.Extensions.RK)
	}
	if cred.Flags.BackupEligible || cred.Authenticator.Attachment != protocol.CrossPlatform ||
		!reflect.DeepEqual(cred.Transport, []protocol.AuthenticatorTransport{protocol.USB}) {
		t.Errorf("credential = %+v, want a cross-platform usb key without BE", cred)
	}

	// A non-discoverable credential cannot answer an empty allow list.
	options, _ = rp.beginDiscoverable(t)
	if _, err := a.Authenticate(options, rp.origin); !errors.Is(err, softauthn.ErrNotAllowed) {
		t.Fatalf("discoverable login with a non-resident key: err = %v, want NotAllowedError", err)
	}
	options, session = rp.beginLogin(t, u)
	resp, err = a.Authenticate(options, rp.origin)
	if err != nil {
		t.Fatalf("Authenticate: %v", err)
	}
	if bytes.Contains(resp, []byte("userHandle")) {
		t.Errorf("assertion of a non-resident key carries a userHandle: %s", resp)
	}
	if _, err := rp.finishLogin(u, session, resp); err != nil {
		t.Fatalf("verify assertion: %v", err)
	}
}
