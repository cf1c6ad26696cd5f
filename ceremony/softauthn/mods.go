package softauthn

import "slices"

// Mod changes one aspect of what Register or Authenticate produces, mostly
// to build the faulty responses negative tests need. A Mod that has no
// meaning for a ceremony makes it fail rather than be silently ignored.
type Mod func(*mods)

// mods is the set of changes requested for one ceremony.
type mods struct {
	origin        *string
	rpID          *string
	noUP          bool
	noUV          bool
	badSignature  bool
	signCount     *uint32
	challenge     *string
	typ           *string
	userHandleSet bool
	userHandle    []byte
	credential    []byte
	backup        *[2]bool
	passage       bool
}

func collectMods(ms []Mod) mods {
	var m mods
	for _, f := range ms {
		f(&m)
	}
	return m
}

// WithOrigin puts origin into clientDataJSON instead of the origin the
// ceremony ran on, as a phishing page relaying a ceremony would.
func WithOrigin(origin string) Mod {
	return func(m *mods) { m.origin = &origin }
}

// WithRPID signs authenticator data whose rpIdHash is that of rpID instead
// of the ceremony's RP ID. Credentials are still looked up and stored under
// the ceremony's RP ID.
func WithRPID(rpID string) Mod {
	return func(m *mods) { m.rpID = &rpID }
}

// WithoutUP clears the user-present flag.
func WithoutUP() Mod {
	return func(m *mods) { m.noUP = true }
}

// WithoutUV clears the user-verified flag, even where user verification
// was required.
func WithoutUV() Mod {
	return func(m *mods) { m.noUV = true }
}

// WithBadSignature flips a bit of the signature: the assertion signature,
// or the packed attestation signature at registration (a "none" attestation
// has no signature, so Register fails with this Mod).
func WithBadSignature() Mod {
	return func(m *mods) { m.badSignature = true }
}

// WithSignCount reports n as the signature counter. The credential keeps
// counting from n afterwards, as a cloned authenticator would.
func WithSignCount(n uint32) Mod {
	return func(m *mods) { m.signCount = &n }
}

// WithChallenge puts challenge, verbatim, into clientDataJSON instead of
// the challenge of the options.
func WithChallenge(challenge string) Mod {
	return func(m *mods) { m.challenge = &challenge }
}

// WithType puts typ into clientDataJSON's type member instead of
// "webauthn.create" or "webauthn.get".
func WithType(typ string) Mod {
	return func(m *mods) { m.typ = &typ }
}

// WithUserHandle returns h as the assertion's userHandle; an empty h
// returns none. Authentication only.
func WithUserHandle(h []byte) Mod {
	h = slices.Clone(h)
	return func(m *mods) {
		m.userHandleSet = true
		m.userHandle = h
	}
}

// WithCredential makes the held credential with this ID answer; if it is
// not among those the options allow, Authenticate fails with
// NotAllowedError. Authentication only.
func WithCredential(id []byte) Mod {
	id = slices.Clone(id)
	return func(m *mods) { m.credential = id }
}

// WithBackupFlags sets the BE and BS flags as given, overriding Options,
// including the invalid BS-without-BE combination.
func WithBackupFlags(be, bs bool) Mod {
	return func(m *mods) { m.backup = &[2]bool{be, bs} }
}

// WithPassageShape answers in the shape of the finish bodies that the
// retired Passage browser SDK (passage-flex-js) sends: no
// clientExtensionResults member, transports at the top level rather than
// in response, and userHandle "" when there is none.
func WithPassageShape() Mod {
	return func(m *mods) { m.passage = true }
}

// flags computes the authenticator data flags: UP always, UV when
// performed, BE and BS from opts; then applies the Mods.
func (m mods) flags(opts Options, uv bool) byte {
	f := flagUP
	if uv {
		f |= flagUV
	}
	be, bs := opts.BackupEligible, opts.BackedUp
	if m.backup != nil {
		be, bs = m.backup[0], m.backup[1]
	}
	if be {
		f |= flagBE
	}
	if bs {
		f |= flagBS
	}
	if m.noUP {
		f &^= flagUP
	}
	if m.noUV {
		f &^= flagUV
	}
	return f
}

// clientData builds clientDataJSON for typ, challenge and origin with the
// Mods applied.
func (m mods) clientData(typ, challenge, origin string) []byte {
	if m.typ != nil {
		typ = *m.typ
	}
	if m.challenge != nil {
		challenge = *m.challenge
	}
	if m.origin != nil {
		origin = *m.origin
	}
	return clientDataJSON(typ, challenge, origin)
}

// hashedRPID is the RP ID whose hash goes into authenticator data.
func (m mods) hashedRPID(rpID string) string {
	if m.rpID != nil {
		return *m.rpID
	}
	return rpID
}

// corruptSignature flips the low bit of the last byte when WithBadSignature
// is set. For a DER ECDSA signature that changes s without breaking the
// encoding, so the failure is the signature check and not a parse error.
func (m mods) corruptSignature(sig []byte) []byte {
	if m.badSignature && len(sig) > 0 {
		sig[len(sig)-1] ^= 0x01
	}
	return sig
}
