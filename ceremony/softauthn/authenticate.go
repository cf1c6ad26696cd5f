package softauthn

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"slices"
)

// Authenticate answers a get() call: optionsJSON is
// PublicKeyCredentialRequestOptionsJSON and origin the page's origin. With
// allowCredentials it answers with a listed credential it holds; with none
// it picks a discoverable credential for the RP ID, the oldest unless
// WithCredential chooses. It returns AuthenticationResponseJSON. Errors wrap
// the DOMException a browser would raise (ErrNotAllowed, …) where there is
// one.
func (a *Authenticator) Authenticate(optionsJSON []byte, origin string, mods ...Mod) ([]byte, error) {
	if a.err != nil {
		return nil, a.err
	}
	m := collectMods(mods)
	var o requestOptions
	if err := decodeOptions(optionsJSON, &o); err != nil {
		return nil, err
	}
	challenge, err := challengeFor(o.Challenge)
	if err != nil {
		return nil, err
	}
	clientOrigin, host, err := parseOrigin(origin)
	if err != nil {
		return nil, err
	}
	rpID := host
	if o.RPID != "" {
		rpID = o.RPID
	}
	if err := checkRPID(rpID, host); err != nil {
		return nil, err
	}
	allow, err := descriptorIDs("allowCredentials", o.AllowCredentials)
	if err != nil {
		return nil, err
	}
	uv, err := wantsUV(o.UserVerification, !a.opts.NoUserVerification)
	if err != nil {
		return nil, err
	}

	a.mu.Lock()
	defer a.mu.Unlock()
	cred := a.choose(rpID, allow, m.credential)
	if cred == nil {
		return nil, fmt.Errorf("%w: no credential for rp id %q", ErrNotAllowed, rpID)
	}
	// WebAuthn L3 §6.1.1: the counter grows with each assertion; an
	// authenticator that does not keep one reports 0 throughout.
	if cred.SignCount != 0 {
		cred.SignCount++
	}
	if m.signCount != nil {
		cred.SignCount = *m.signCount
	}
	ad := authData{
		rpID:      m.hashedRPID(rpID),
		flags:     m.flags(a.opts, uv),
		signCount: cred.SignCount,
	}.marshal()
	cdj := m.clientData(typeGet, challenge, clientOrigin)
	// §6.3.3 step 11: the signature covers authenticatorData || SHA-256(clientDataJSON).
	hash := sha256.Sum256(cdj)
	sig, err := sign(cred.key, cred.Algorithm, slices.Concat(ad, hash[:]))
	if err != nil {
		return nil, fmt.Errorf("sign assertion: %w", err)
	}
	r := authenticationJSON{
		ID:    encodeB64URL(cred.ID),
		RawID: encodeB64URL(cred.ID),
		Response: assertionJSON{
			ClientDataJSON:    encodeB64URL(cdj),
			AuthenticatorData: encodeB64URL(ad),
			Signature:         encodeB64URL(m.corruptSignature(sig)),
			UserHandle:        userHandle(cred, m),
		},
		AuthenticatorAttachment: a.opts.Attachment,
		ClientExtensionResults:  &clientExtensionsJSON{},
		Type:                    "public-key",
	}
	if m.passage {
		r.ClientExtensionResults = nil
		if r.Response.UserHandle == nil {
			r.Response.UserHandle = new(string)
		}
	}
	return marshalJSON(r)
}

// choose picks the credential that answers: one listed in allow, or with an
// empty allow list a discoverable one (WebAuthn L3 §6.3.3 steps 3–6),
// narrowed to want when set. The caller holds a.mu.
func (a *Authenticator) choose(rpID string, allow [][]byte, want []byte) *Credential {
	for _, c := range a.creds {
		if c.RPID != rpID {
			continue
		}
		if want != nil && !bytes.Equal(c.ID, want) {
			continue
		}
		listed := slices.ContainsFunc(allow, func(id []byte) bool { return bytes.Equal(id, c.ID) })
		if listed || len(allow) == 0 && c.Discoverable {
			return c
		}
	}
	return nil
}

// userHandle is the assertion's userHandle: the user.id stored with a
// discoverable credential (CTAP2.1 §6.2.2 returns it for those only), unless
// WithUserHandle overrides it.
func userHandle(c *Credential, m mods) *string {
	h := c.UserHandle
	if !c.Discoverable {
		h = nil
	}
	if m.userHandleSet {
		h = m.userHandle
	}
	if len(h) == 0 {
		return nil
	}
	s := encodeB64URL(h)
	return &s
}
