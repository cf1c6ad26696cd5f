package softauthn_test

import (
	"bytes"
	"testing"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/passbridge/passbridge/ceremony/softauthn"
)

func TestCorrupt(t *testing.T) {
	rp := newRP(t)
	a := softauthn.New(softauthn.Options{Attestation: softauthn.AttestationPacked})
	u := newUser("alice")
	options, _ := rp.beginRegistration(t, u)
	registration, _, err := a.Register(options, rp.origin)
	if err != nil {
		t.Fatalf("Register: %v", err)
	}
	options, _ = rp.beginDiscoverable(t)
	assertion, err := a.Authenticate(options, rp.origin)
	if err != nil {
		t.Fatalf("Authenticate: %v", err)
	}
	parseRegistration := func(b []byte) error {
		_, err := protocol.ParseCredentialCreationResponseBytes(b)
		return err
	}
	parseAssertion := func(b []byte) error {
		_, err := protocol.ParseCredentialRequestResponseBytes(b)
		return err
	}
	responses := []struct {
		name  string
		body  []byte
		parse func([]byte) error
	}{
		{"registration", registration, parseRegistration},
		{"authentication", assertion, parseAssertion},
	}
	for _, r := range responses {
		if err := r.parse(r.body); err != nil {
			t.Fatalf("%s: the uncorrupted response does not parse: %v", r.name, err)
		}
		for _, kind := range softauthn.CorruptKinds() {
			t.Run(r.name+"/"+kind.String(), func(t *testing.T) {
				bad := softauthn.Corrupt(r.body, kind)
				if bytes.Equal(bad, r.body) {
					t.Fatal("Corrupt returned the response unchanged")
				}
				if err := r.parse(bad); err == nil {
					t.Fatalf("corrupted response parses:\n%s", bad)
				}
			})
		}
	}
}

func TestCorruptNotJSON(t *testing.T) {
	in := []byte("not json at all")
	if got := softauthn.Corrupt(in, softauthn.CorruptCBOR); !bytes.Equal(got, in[:len(in)/2]) {
		t.Fatalf("Corrupt(non-JSON) = %q, want the first half", got)
	}
}
