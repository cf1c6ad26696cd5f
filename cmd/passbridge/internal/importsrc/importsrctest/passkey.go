// Package importsrctest builds, for tests, databases of the passkey servers
// importsrc reads: their tables as the servers' published migrations create
// them (schema/*.sql, each naming its source files), filled with the users
// and passkeys of software authenticators, stored as each server stores
// them. It is ordinary code so that the tests of importsrc and of the
// command line can share it.
package importsrctest

import (
	"encoding/base64"
	"encoding/json"
	"testing"

	"github.com/go-webauthn/webauthn/protocol"

	"github.com/passbridge/passbridge/ceremony/softauthn"
	"github.com/passbridge/passbridge/storage"
)

// Passkey is a credential a software authenticator made, as a server
// verifying its registration records it.
type Passkey struct {
	Auth           *softauthn.Authenticator
	CredentialID   []byte
	PublicKey      []byte // COSE_Key, from the attested credential data
	AAGUID         []byte
	BackupEligible bool
	BackedUp       bool
	UserVerified   bool
	Transports     []string
	SignCount      uint32
}

// NewPasskey has a new authenticator of opts register a discoverable
// credential of rpID for user handle, as a browser would for the server
// that stores it, and returns what that server records.
func NewPasskey(t testing.TB, rpID string, handle []byte, name string, opts softauthn.Options) Passkey {
	t.Helper()
	b64 := base64.RawURLEncoding.EncodeToString
	options, err := json.Marshal(map[string]any{
		"rp":        map[string]string{"id": rpID, "name": "Fixture"},
		"user":      map[string]string{"id": b64(handle), "name": name, "displayName": name},
		"challenge": b64(storage.RandomBytes(32)),
		"pubKeyCredParams": []map[string]any{
			{"type": "public-key", "alg": -7}, {"type": "public-key", "alg": -8}, {"type": "public-key", "alg": -257},
		},
		"authenticatorSelection": map[string]string{"residentKey": "required", "userVerification": "required"},
		"attestation":            "none",
	})
	if err != nil {
		t.Fatal(err)
	}
	a := softauthn.New(opts)
	resp, _, err := a.Register(options, Origin(rpID))
	if err != nil {
		t.Fatalf("register a fixture passkey: %v", err)
	}
	parsed, err := protocol.ParseCredentialCreationResponseBytes(resp)
	if err != nil {
		t.Fatalf("parse a fixture registration: %v", err)
	}
	ad := parsed.Response.AttestationObject.AuthData
	p := Passkey{
		Auth: a, CredentialID: ad.AttData.CredentialID, PublicKey: ad.AttData.CredentialPublicKey,
		AAGUID: ad.AttData.AAGUID, BackupEligible: ad.Flags.HasBackupEligible(), BackedUp: ad.Flags.HasBackupState(),
		UserVerified: ad.Flags.HasUserVerified(), SignCount: ad.Counter,
	}
	for _, tr := range parsed.Response.Transports {
		p.Transports = append(p.Transports, string(tr))
	}
	return p
}

// Origin is an origin of rpID the fixtures register from: any origin whose
// host is the RP ID will do, as a credential is bound to the RP ID only.
func Origin(rpID string) string {
	if rpID == "localhost" {
		return "http://localhost:8080"
	}
	return "https://" + rpID
}
