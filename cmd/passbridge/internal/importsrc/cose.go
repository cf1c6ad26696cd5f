package importsrc

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"math/big"

	"github.com/fxamacker/cbor/v2"
	"github.com/go-webauthn/webauthn/protocol/webauthncose"
)

// COSE_Key labels and values (RFC 9052 §7, RFC 9053 §7.1–7.2, RFC 8230 §4)
// and the algorithms a converted key gets.
const (
	coseKty, coseAlg                 = 1, 3
	coseCrv, coseX, coseY            = -1, -2, -3
	coseN, coseE                     = -1, -2
	ktyOKP, ktyEC2, ktyRSA           = 1, 2, 3
	crvP256, crvP384, crvP521, crvEd = 1, 2, 3, 6
	algES256, algES384, algES512     = -7, -35, -36
	algEdDSA, algRS256               = -8, -257
)

// coseKey returns key as a COSE_Key, the form passbridge stores and
// WebAuthn's attested credential data carries (WebAuthn L3 §6.5.1.1). A key
// that is one already is returned as it is. A SubjectPublicKeyInfo (DER or
// PEM, as PublicKeyCredential.getPublicKey() gives it) is converted, with
// the algorithm WebAuthn uses for its key type: ES256/384/512 by curve,
// EdDSA for Ed25519, RS256 for RSA (PS256 RSA keys cannot be told apart
// from a SubjectPublicKeyInfo and would then fail to verify).
func coseKey(key []byte) ([]byte, error) {
	if _, err := webauthncose.ParsePublicKey(key); err == nil {
		return key, nil
	}
	der := key
	if block, _ := pem.Decode(key); block != nil {
		der = block.Bytes
	}
	pub, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		return nil, fmt.Errorf("neither a COSE key nor a SubjectPublicKeyInfo")
	}
	var m map[int]any
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		crv, alg, err := ecParams(k.Curve)
		if err != nil {
			return nil, err
		}
		point, err := k.Bytes() // 0x04 || x || y, fixed width
		if err != nil {
			return nil, err
		}
		size := (len(point) - 1) / 2
		m = map[int]any{coseKty: ktyEC2, coseAlg: alg, coseCrv: crv, coseX: point[1 : 1+size], coseY: point[1+size:]}
	case ed25519.PublicKey:
		m = map[int]any{coseKty: ktyOKP, coseAlg: algEdDSA, coseCrv: crvEd, coseX: []byte(k)}
	case *rsa.PublicKey:
		m = map[int]any{coseKty: ktyRSA, coseAlg: algRS256, coseN: k.N.Bytes(), coseE: big.NewInt(int64(k.E)).Bytes()}
	default:
		return nil, fmt.Errorf("a %T key, which WebAuthn does not use", pub)
	}
	em, err := cbor.CTAP2EncOptions().EncMode()
	if err != nil {
		return nil, err
	}
	return em.Marshal(m)
}

func ecParams(c elliptic.Curve) (crv, alg int, err error) {
	switch c {
	case elliptic.P256():
		return crvP256, algES256, nil
	case elliptic.P384():
		return crvP384, algES384, nil
	case elliptic.P521():
		return crvP521, algES512, nil
	}
	return 0, 0, fmt.Errorf("an EC key on curve %s, which WebAuthn does not use", c.Params().Name)
}
