package softauthn

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"fmt"
	"math/big"

	"github.com/fxamacker/cbor/v2"
)

// COSE_Key labels and values (RFC 9052 §7, RFC 9053 §7.1–7.2, RFC 8230 §4).
const (
	coseKty    = 1
	coseAlg    = 3
	coseCrv    = -1
	coseX      = -2
	coseY      = -3
	coseRSAN   = -1
	coseRSAE   = -2
	coseKtyOKP = 1
	coseKtyEC2 = 2
	coseKtyRSA = 3
	coseP256   = 1
	coseEd     = 6
)

// marshalCTAP2 encodes v in CTAP2 canonical CBOR (CTAP2.1 §8), the encoding
// authenticators use for COSE keys and attestation objects.
func marshalCTAP2(v any) ([]byte, error) {
	em, err := cbor.CTAP2EncOptions().EncMode()
	if err != nil {
		return nil, fmt.Errorf("cbor mode: %w", err)
	}
	b, err := em.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("cbor: %w", err)
	}
	return b, nil
}

// coseKey encodes pub as the COSE_Key of attested credential data
// (WebAuthn L3 §6.5.1.1).
func coseKey(pub crypto.PublicKey, alg int) ([]byte, error) {
	var m map[int]any
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		// The uncompressed SEC 1 point is 0x04 || x || y with fixed-width
		// coordinates, as COSE EC2 keys require.
		point, err := k.Bytes()
		if err != nil {
			return nil, fmt.Errorf("ec point: %w", err)
		}
		size := (len(point) - 1) / 2
		m = map[int]any{
			coseKty: coseKtyEC2, coseAlg: alg, coseCrv: coseP256,
			coseX: point[1 : 1+size], coseY: point[1+size:],
		}
	case ed25519.PublicKey:
		m = map[int]any{coseKty: coseKtyOKP, coseAlg: alg, coseCrv: coseEd, coseX: []byte(k)}
	case *rsa.PublicKey:
		m = map[int]any{
			coseKty: coseKtyRSA, coseAlg: alg,
			coseRSAN: k.N.Bytes(), coseRSAE: big.NewInt(int64(k.E)).Bytes(),
		}
	default:
		return nil, fmt.Errorf("softauthn: unsupported public key %T", pub)
	}
	return marshalCTAP2(m)
}

// attestationObject builds the CBOR map {fmt, attStmt, authData}
// (WebAuthn L3 §6.5.4).
func attestationObject(format string, stmt map[string]any, authData []byte) ([]byte, error) {
	if stmt == nil {
		stmt = map[string]any{} // "none" carries an empty map, not null (§8.7)
	}
	return marshalCTAP2(map[string]any{"fmt": format, "attStmt": stmt, "authData": authData})
}
