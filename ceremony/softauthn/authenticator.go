package softauthn

import (
	"bytes"
	"crypto"
	"fmt"
	"slices"
	"sync"
)

// Authenticator attachments, as in WebAuthn L3 §5.4.5.
const (
	// AttachmentPlatform is an authenticator built into the client device.
	AttachmentPlatform = "platform"
	// AttachmentCrossPlatform is a roaming authenticator such as a security key.
	AttachmentCrossPlatform = "cross-platform"
)

// Attestation statement formats this authenticator can produce
// (WebAuthn L3 §8.7 and §8.2).
const (
	// AttestationNone is the "none" format: an empty statement.
	AttestationNone = "none"
	// AttestationPacked is the "packed" format with self attestation: the
	// credential key signs its own authenticator data.
	AttestationPacked = "packed"
)

// COSE algorithm identifiers (RFC 9053, IANA COSE registry) this
// authenticator can create keys for.
const (
	// AlgES256 is ECDSA with P-256 and SHA-256.
	AlgES256 = -7
	// AlgEdDSA is EdDSA, here always Ed25519.
	AlgEdDSA = -8
	// AlgRS256 is RSASSA-PKCS1-v1_5 with SHA-256 (2048-bit keys).
	AlgRS256 = -257
)

// Options describes the authenticator being simulated. The zero value is a
// user-verifying platform authenticator with ES256 keys, "none" attestation
// and a counter that stays 0, like a synced passkey provider.
type Options struct {
	// AAGUID identifies the authenticator model in attested credential data
	// (WebAuthn L3 §6.5.1), e.g. iCloud Keychain's
	// fbfc3007-154e-4ecc-8c0b-6e020557d7bd. Zero is allowed.
	AAGUID [16]byte
	// Attachment is AttachmentPlatform (default) or AttachmentCrossPlatform.
	Attachment string
	// BackupEligible sets the BE flag on every credential.
	BackupEligible bool
	// BackedUp sets the BS flag; it needs BackupEligible (WebAuthn L3 §6.1.3).
	BackedUp bool
	// NoUserVerification makes an authenticator that cannot verify the user.
	NoUserVerification bool
	// Transports are reported at registration. Default ["internal", "hybrid"]
	// for a platform authenticator, ["usb"] for a cross-platform one.
	Transports []string
	// Attestation is AttestationNone (default) or AttestationPacked.
	Attestation string
	// Algorithm is the COSE algorithm of new keys: AlgES256 (default),
	// AlgEdDSA or AlgRS256.
	Algorithm int
	// SignCount is the counter a new credential starts at. Each use adds
	// one, except that a counter starting at 0 stays 0, as synced passkeys
	// report it.
	SignCount uint32
}

// Authenticator holds credentials like a platform authenticator or security
// key and answers WebAuthn ceremonies as a browser driving it would. It is
// safe for concurrent use; each ceremony runs under its own lock, as an
// authenticator serves one request at a time.
type Authenticator struct {
	opts Options
	err  error // a problem with opts, reported by every ceremony

	mu    sync.Mutex
	creds []*Credential
}

// New returns an Authenticator with opts, defaults filled in. It never
// fails: invalid options make every Register and Authenticate return the
// error instead.
func New(opts Options) *Authenticator {
	if opts.Attachment == "" {
		opts.Attachment = AttachmentPlatform
	}
	if opts.Attestation == "" {
		opts.Attestation = AttestationNone
	}
	if opts.Algorithm == 0 {
		opts.Algorithm = AlgES256
	}
	if opts.Transports == nil {
		if opts.Attachment == AttachmentCrossPlatform {
			opts.Transports = []string{"usb"}
		} else {
			opts.Transports = []string{"internal", "hybrid"}
		}
	}
	opts.Transports = slices.Clone(opts.Transports)
	return &Authenticator{opts: opts, err: validateOptions(opts)}
}

func validateOptions(opts Options) error {
	switch opts.Attachment {
	case AttachmentPlatform, AttachmentCrossPlatform:
	default:
		return fmt.Errorf("softauthn: unknown attachment %q", opts.Attachment)
	}
	switch opts.Attestation {
	case AttestationNone, AttestationPacked:
	default:
		return fmt.Errorf("softauthn: unknown attestation format %q", opts.Attestation)
	}
	switch opts.Algorithm {
	case AlgES256, AlgEdDSA, AlgRS256:
	default:
		return fmt.Errorf("softauthn: unsupported algorithm %d", opts.Algorithm)
	}
	if opts.BackedUp && !opts.BackupEligible {
		return fmt.Errorf("softauthn: backed up without backup eligible")
	}
	return nil
}

// Credential is a credential the authenticator holds. Values handed out by
// Register and Credentials are snapshots: later ceremonies do not change them.
type Credential struct {
	// ID is the credential ID (16 to 32 random bytes).
	ID []byte
	// RPID is the relying party the credential is scoped to.
	RPID string
	// UserHandle is user.id from the creation options.
	UserHandle []byte
	// UserName is user.name from the creation options.
	UserName string
	// UserDisplayName is user.displayName from the creation options.
	UserDisplayName string
	// Discoverable tells whether the credential is a client-side discoverable
	// credential (a resident key), usable with an empty allowCredentials.
	Discoverable bool
	// Algorithm is the COSE algorithm of the key.
	Algorithm int
	// SignCount is the counter the authenticator last reported.
	SignCount uint32

	key crypto.Signer
}

// PublicKey returns the credential's public key: *ecdsa.PublicKey,
// ed25519.PublicKey or *rsa.PublicKey.
func (c *Credential) PublicKey() crypto.PublicKey {
	return c.key.Public()
}

func (c *Credential) clone() *Credential {
	cp := *c
	cp.ID = slices.Clone(c.ID)
	cp.UserHandle = slices.Clone(c.UserHandle)
	return &cp
}

// Credentials returns snapshots of the credentials held, oldest first.
func (a *Authenticator) Credentials() []*Credential {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := make([]*Credential, 0, len(a.creds))
	for _, c := range a.creds {
		out = append(out, c.clone())
	}
	return out
}

// store adds c. A discoverable credential replaces one held for the same RP
// ID and user handle (CTAP2.1 §6.1.2 step 17). The caller holds a.mu.
func (a *Authenticator) store(c *Credential) {
	if c.Discoverable {
		a.creds = slices.DeleteFunc(a.creds, func(old *Credential) bool {
			return old.Discoverable && old.RPID == c.RPID && bytes.Equal(old.UserHandle, c.UserHandle)
		})
	}
	a.creds = append(a.creds, c)
}

// find returns the held credential with id scoped to rpID, or nil. The
// caller holds a.mu.
func (a *Authenticator) find(rpID string, id []byte) *Credential {
	for _, c := range a.creds {
		if c.RPID == rpID && bytes.Equal(c.ID, id) {
			return c
		}
	}
	return nil
}
