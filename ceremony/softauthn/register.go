package softauthn

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"slices"
)

// creation is a create() call that passed the client's checks.
type creation struct {
	rpID         string
	origin       string // serialised, for clientDataJSON
	challenge    string
	user         userEntity
	userID       []byte
	exclude      [][]byte
	uv           bool
	discoverable bool
	credProps    bool
}

// Register answers a create() call: optionsJSON is
// PublicKeyCredentialCreationOptionsJSON (the inner publicKey object) and
// origin the page's origin. It returns RegistrationResponseJSON and a
// snapshot of the new credential. Errors wrap the DOMException a browser
// would raise (ErrNotAllowed, ErrInvalidState, …) where there is one.
func (a *Authenticator) Register(optionsJSON []byte, origin string, mods ...Mod) ([]byte, *Credential, error) {
	if a.err != nil {
		return nil, nil, a.err
	}
	m := collectMods(mods)
	switch {
	case m.userHandleSet:
		return nil, nil, errors.New("softauthn: WithUserHandle applies to authentication only")
	case m.credential != nil:
		return nil, nil, errors.New("softauthn: WithCredential applies to authentication only")
	case m.badSignature && a.opts.Attestation != AttestationPacked:
		return nil, nil, errors.New("softauthn: WithBadSignature needs packed attestation to register")
	}
	var o creationOptions
	if err := decodeOptions(optionsJSON, &o); err != nil {
		return nil, nil, err
	}
	c, err := a.checkCreation(o, origin)
	if err != nil {
		return nil, nil, err
	}

	a.mu.Lock()
	defer a.mu.Unlock()
	// WebAuthn L3 §6.3.2 step 3: a listed credential already held for this
	// RP ends the ceremony with InvalidStateError.
	for _, id := range c.exclude {
		if a.find(c.rpID, id) != nil {
			return nil, nil, fmt.Errorf("%w: credential already registered", ErrInvalidState)
		}
	}
	cred, err := a.newCredential(c)
	if err != nil {
		return nil, nil, err
	}
	if m.signCount != nil {
		cred.SignCount = *m.signCount
	}
	resp, err := a.attest(c, cred, m)
	if err != nil {
		return nil, nil, err
	}
	a.store(cred)
	return resp, cred.clone(), nil
}

// checkCreation runs the client's checks of WebAuthn L3 §5.1.3 and the
// authenticator selection of §6.3.2.
func (a *Authenticator) checkCreation(o creationOptions, origin string) (creation, error) {
	var c creation
	if o.RP == nil || o.RP.Name == nil || o.User == nil || o.User.ID == nil ||
		o.User.Name == nil || o.User.DisplayName == nil || o.PubKeyCredParams == nil {
		return c, fmt.Errorf("%w: missing rp, user or pubKeyCredParams member", ErrType)
	}
	var err error
	if c.challenge, err = challengeFor(o.Challenge); err != nil {
		return c, err
	}
	if c.userID, err = decodeB64URL("user.id", *o.User.ID); err != nil {
		return c, err
	}
	if len(c.userID) < 1 || len(c.userID) > 64 { // §5.1.3 step 5
		return c, fmt.Errorf("%w: user.id must be 1 to 64 bytes", ErrType)
	}
	c.user = *o.User
	var host string
	if c.origin, host, err = parseOrigin(origin); err != nil {
		return c, err
	}
	c.rpID = host
	if o.RP.ID != "" {
		c.rpID = o.RP.ID
	}
	if err = checkRPID(c.rpID, host); err != nil {
		return c, err
	}
	if err = a.checkAlgorithm(*o.PubKeyCredParams); err != nil {
		return c, err
	}
	if c.exclude, err = descriptorIDs("excludeCredentials", o.ExcludeCredentials); err != nil {
		return c, err
	}
	sel := o.AuthenticatorSelection
	if sel.AuthenticatorAttachment != "" && sel.AuthenticatorAttachment != a.opts.Attachment {
		return c, fmt.Errorf("%w: no %s authenticator", ErrNotAllowed, sel.AuthenticatorAttachment)
	}
	if c.uv, err = wantsUV(sel.UserVerification, !a.opts.NoUserVerification); err != nil {
		return c, err
	}
	c.discoverable = a.makesDiscoverable(sel)
	c.credProps = string(bytes.TrimSpace(o.Extensions["credProps"])) == "true"
	return c, nil
}

// checkAlgorithm requires this authenticator's algorithm among the
// parameters; an empty list means ES256 and RS256 (§5.1.3 step 10).
func (a *Authenticator) checkAlgorithm(params []credentialParameter) error {
	if len(params) == 0 {
		params = []credentialParameter{{"public-key", AlgES256}, {"public-key", AlgRS256}}
	}
	if !slices.Contains(params, credentialParameter{"public-key", a.opts.Algorithm}) {
		return fmt.Errorf("%w: algorithm %d not in pubKeyCredParams", ErrNotSupported, a.opts.Algorithm)
	}
	return nil
}

// makesDiscoverable applies residentKey (§5.4.6; absent, requireResidentKey
// decides). Platform authenticators, like passkey providers, make every
// credential discoverable; a security key honours "discouraged".
func (a *Authenticator) makesDiscoverable(sel authenticatorSelection) bool {
	rk := sel.ResidentKey
	if rk == "" && sel.RequireResidentKey {
		rk = "required"
	}
	return a.opts.Attachment == AttachmentPlatform || rk == "required" || rk == "preferred"
}

// newCredential creates the key pair and record for c.
func (a *Authenticator) newCredential(c creation) (*Credential, error) {
	key, err := generateKey(a.opts.Algorithm)
	if err != nil {
		return nil, fmt.Errorf("generate key: %w", err)
	}
	id, err := randomCredentialID()
	if err != nil {
		return nil, err
	}
	return &Credential{
		ID:              id,
		RPID:            c.rpID,
		UserHandle:      c.userID,
		UserName:        *c.user.Name,
		UserDisplayName: *c.user.DisplayName,
		Discoverable:    c.discoverable,
		Algorithm:       a.opts.Algorithm,
		SignCount:       a.opts.SignCount,
		key:             key,
	}, nil
}

// attest builds authenticator data, the attestation object and the
// RegistrationResponseJSON for cred.
func (a *Authenticator) attest(c creation, cred *Credential, m mods) ([]byte, error) {
	cose, err := coseKey(cred.PublicKey(), cred.Algorithm)
	if err != nil {
		return nil, err
	}
	ad := authData{
		rpID:      m.hashedRPID(c.rpID),
		flags:     m.flags(a.opts, c.uv),
		signCount: cred.SignCount,
		aaguid:    a.opts.AAGUID,
		credID:    cred.ID,
		credKey:   cose,
	}.marshal()
	cdj := m.clientData(typeCreate, c.challenge, c.origin)
	stmt, err := a.statement(cred, ad, cdj, m)
	if err != nil {
		return nil, err
	}
	attObj, err := attestationObject(a.opts.Attestation, stmt, ad)
	if err != nil {
		return nil, fmt.Errorf("attestation object: %w", err)
	}
	pub, err := spki(cred.PublicKey())
	if err != nil {
		return nil, err
	}
	r := registrationJSON{
		ID:    encodeB64URL(cred.ID),
		RawID: encodeB64URL(cred.ID),
		Response: attestationJSON{
			ClientDataJSON:     encodeB64URL(cdj),
			AttestationObject:  encodeB64URL(attObj),
			AuthenticatorData:  encodeB64URL(ad),
			Transports:         slices.Clone(a.opts.Transports),
			PublicKeyAlgorithm: cred.Algorithm,
			PublicKey:          encodeB64URL(pub),
		},
		AuthenticatorAttachment: a.opts.Attachment,
		ClientExtensionResults:  &clientExtensionsJSON{},
		Type:                    "public-key",
	}
	if c.credProps {
		r.ClientExtensionResults.CredProps = &credPropsJSON{RK: cred.Discoverable}
	}
	if m.passage {
		r.ClientExtensionResults = nil
		r.Transports, r.Response.Transports = r.Response.Transports, nil
	}
	return marshalJSON(r)
}

// statement is the attestation statement: empty for "none" (WebAuthn L3
// §8.7); for "packed" self attestation (§8.2) alg and a signature by the
// credential key over authenticatorData || SHA-256(clientDataJSON).
func (a *Authenticator) statement(cred *Credential, ad, cdj []byte, m mods) (map[string]any, error) {
	if a.opts.Attestation != AttestationPacked {
		return nil, nil
	}
	hash := sha256.Sum256(cdj)
	sig, err := sign(cred.key, cred.Algorithm, slices.Concat(ad, hash[:]))
	if err != nil {
		return nil, fmt.Errorf("sign attestation: %w", err)
	}
	return map[string]any{"alg": cred.Algorithm, "sig": m.corruptSignature(sig)}, nil
}
