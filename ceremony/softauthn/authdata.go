package softauthn

import (
	"crypto/sha256"
	"encoding/binary"
)

// Authenticator data flag bits (WebAuthn L3 §6.1, table "flags").
const (
	flagUP byte = 1 << 0 // user present
	flagUV byte = 1 << 2 // user verified
	flagBE byte = 1 << 3 // backup eligible
	flagBS byte = 1 << 4 // backed up
	flagAT byte = 1 << 6 // attested credential data included
	flagED byte = 1 << 7 // extension data included
)

// authData holds the parts of authenticator data (WebAuthn L3 §6.1).
type authData struct {
	rpID      string
	flags     byte
	signCount uint32
	// Attested credential data (§6.5.1), written when credKey is set.
	aaguid  [16]byte
	credID  []byte
	credKey []byte // COSE_Key
}

// marshal lays the data out as §6.1 defines it: rpIdHash (32) || flags (1)
// || signCount (4, big-endian) || [aaguid (16) || credentialIdLength (2,
// big-endian) || credentialId || credentialPublicKey].
func (d authData) marshal() []byte {
	flags := d.flags
	if d.credKey != nil {
		flags |= flagAT
	}
	rpIDHash := sha256.Sum256([]byte(d.rpID))
	b := make([]byte, 0, 37+18+len(d.credID)+len(d.credKey))
	b = append(b, rpIDHash[:]...)
	b = append(b, flags)
	b = binary.BigEndian.AppendUint32(b, d.signCount)
	if d.credKey != nil {
		b = append(b, d.aaguid[:]...)
		b = binary.BigEndian.AppendUint16(b, uint16(len(d.credID)))
		b = append(b, d.credID...)
		b = append(b, d.credKey...)
	}
	return b
}
