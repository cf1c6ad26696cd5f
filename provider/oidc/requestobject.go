package oidc

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/passbridge/passbridge/provider/signing"
	"github.com/passbridge/passbridge/storage"
)

// Request objects (RFC 9101, OIDC Core §6.1): an authorization request's
// parameters signed by the client, HS256 with its secret or with a key of
// its registered JWKS. passbridge verifies them itself (op's own check
// knows neither HS256 nor EdDSA), merges their parameters over the query's,
// and tells CreateAuthRequest which login_hint the client signed: the one
// thing that lets prompt=create add a passkey to an existing user.

// requestObjectAlgs are the algorithms a request object may be signed with.
var requestObjectAlgs = []jose.SignatureAlgorithm{jose.HS256, jose.RS256, jose.ES256, jose.PS256, jose.EdDSA}

// maxRequestObjectLifetime bounds exp - now: a signed enrolment is a bearer
// grant while it lives, so it must be short-lived (and it is single-use).
const maxRequestObjectLifetime = 10 * time.Minute

// signedParams are the authorization parameters a request object may carry.
var signedParams = []string{"scope", "response_type", "redirect_uri", "state", "nonce", "prompt", "max_age",
	"login_hint", "acr_values", "ui_locales", "code_challenge", "code_challenge_method", "response_mode", "display", "claims"}

// errRequestObject is a request object that cannot be used; its text is
// safe to show.
type errRequestObject struct{ msg string }

func (e *errRequestObject) Error() string { return e.msg }

func badObject(format string, args ...any) error {
	return &errRequestObject{msg: fmt.Sprintf(format, args...)}
}

// withRequestObject verifies a request parameter and rewrites the request
// to the merged parameters, before op parses it.
func (p *Provider) withRequestObject(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			next.ServeHTTP(w, r) // op answers a form it cannot parse
			return
		}
		if !r.Form.Has("request") {
			if err := applyClaimsParam(r, r.Form); err != nil {
				writeAuthorizeError(w, "invalid_request", err.Error())
				return
			}
			next.ServeHTTP(w, r)
			return
		}
		claims, err := p.verifyRequestObject(r.Context(), r.Form.Get("client_id"), r.Form.Get("request"))
		if err != nil {
			var bad *errRequestObject
			if !errors.As(err, &bad) {
				// The store: op's answer for it is made by withOutage.
				markOutageIf(r.Context(), err)
				p.storage.log.ErrorContext(r.Context(), "request object", "err", err)
				bad = &errRequestObject{msg: "the request object could not be checked"}
			}
			writeAuthorizeError(w, "invalid_request_object", bad.msg)
			return
		}
		merged := mergeParams(r.Form, claims)
		if err := applyClaimsParam(r, merged); err != nil {
			writeAuthorizeError(w, "invalid_request", err.Error())
			return
		}
		if info := requestInfoFrom(r.Context()); info != nil {
			// What the client vouches for is what it signed, never what
			// the query added beside the object.
			info.signedLoginHint, _ = claims["login_hint"].(string)
			info.signedCreate = signedPrompt(claims["prompt"], PromptCreate)
		}
		next.ServeHTTP(w, r)
	})
}

// verifyRequestObject checks a request object's signature, issuer,
// audience, lifetime and single use, and returns its claims.
func (p *Provider) verifyRequestObject(ctx context.Context, clientID, raw string) (map[string]any, error) {
	if clientID == "" || len(raw) > 16<<10 {
		return nil, badObject("a request object needs client_id beside it and must be under 16 KiB")
	}
	jws, err := jose.ParseSignedCompact(raw, requestObjectAlgs)
	if err != nil || len(jws.Signatures) != 1 {
		return nil, badObject("the request object is not a JWS signed with one of HS256, RS256, ES256, PS256, EdDSA")
	}
	c, err := p.store.GetClient(ctx, clientID)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, badObject("unknown client")
	}
	if err != nil {
		return nil, err
	}
	key, err := p.requestObjectKey(ctx, c, jws.Signatures[0].Header)
	if err != nil {
		return nil, err
	}
	payload, err := jws.Verify(key)
	if err != nil {
		return nil, badObject("the request object's signature does not verify")
	}
	var claims map[string]any
	if err := json.Unmarshal(payload, &claims); err != nil {
		return nil, badObject("the request object's payload is not a JSON object")
	}
	now := p.storage.clock()
	if err := checkObjectClaims(claims, c.ID, p.issuer, now); err != nil {
		return nil, err
	}
	jti, _ := claims["jti"].(string)
	exp := time.Unix(int64(claims["exp"].(float64)), 0)
	err = p.store.UseRequestObject(ctx, storage.HashSecret(c.ID+"\x00"+jti), now, exp)
	if errors.Is(err, storage.ErrAlreadyExists) {
		return nil, badObject("the request object was used already")
	}
	if err != nil {
		return nil, err
	}
	return claims, nil
}

// requestObjectKey is the key that verifies a request object of client c:
// its secret for HS256, else the key of its registered JWKS that the
// header names (by kid, or the only one of the algorithm).
func (p *Provider) requestObjectKey(ctx context.Context, c storage.Client, h jose.Header) (any, error) {
	if h.Algorithm == string(jose.HS256) {
		if len(c.SecretSealed) == 0 {
			return nil, badObject("the client has no secret to sign an HS256 request object with")
		}
		secret, err := signing.OpenClientSecret(p.masterKey, c.ID, c.SecretSealed)
		if err != nil {
			return nil, err
		}
		return []byte(secret), nil
	}
	set, err := p.storage.clientKeys(ctx, c, h.KeyID)
	if err != nil || len(set.Keys) == 0 {
		return nil, badObject("the client has no registered keys to verify the request object with")
	}
	var found []jose.JSONWebKey
	for _, k := range set.Keys {
		if k.IsPublic() && (h.KeyID == "" || k.KeyID == h.KeyID) && (k.Algorithm == "" || k.Algorithm == h.Algorithm) {
			found = append(found, k)
		}
	}
	if len(found) != 1 {
		return nil, badObject("no single registered key of the client matches the request object's kid and alg")
	}
	return found[0], nil
}

// checkObjectClaims: iss is the client, aud names this issuer, client_id
// (if present) is the client, exp is set and within
// maxRequestObjectLifetime, nbf/iat not in the future, jti set.
func checkObjectClaims(claims map[string]any, clientID, issuer string, now time.Time) error {
	if iss, _ := claims["iss"].(string); iss != clientID {
		return badObject("the request object's iss must be the client_id")
	}
	if cid, ok := claims["client_id"]; ok && cid != clientID {
		return badObject("the request object's client_id differs from the request's")
	}
	if !audienceHas(claims["aud"], issuer) {
		return badObject("the request object's aud must be the issuer")
	}
	exp, ok := claims["exp"].(float64)
	if !ok {
		return badObject("the request object must expire (exp)")
	}
	if t := time.Unix(int64(exp), 0); !t.After(now) || t.Sub(now) > maxRequestObjectLifetime {
		return badObject("the request object expired, or expires more than %s from now", maxRequestObjectLifetime)
	}
	for _, k := range []string{"nbf", "iat"} {
		if v, ok := claims[k].(float64); ok && time.Unix(int64(v), 0).After(now.Add(time.Minute)) {
			return badObject("the request object's %s is in the future", k)
		}
	}
	if jti, _ := claims["jti"].(string); jti == "" || len(jti) > 256 {
		return badObject("the request object needs a jti (at most 256 characters)")
	}
	return nil
}

func audienceHas(aud any, issuer string) bool {
	switch a := aud.(type) {
	case string:
		return strings.TrimRight(a, "/") == issuer
	case []any:
		return slices.ContainsFunc(a, func(v any) bool { s, _ := v.(string); return strings.TrimRight(s, "/") == issuer })
	}
	return false
}

// mergeParams lays the request object's parameters over the query's (OIDC
// Core §6.3.3) and drops the request parameter.
func mergeParams(form url.Values, claims map[string]any) url.Values {
	out := url.Values{}
	for k, v := range form {
		if k != "request" {
			out[k] = v
		}
	}
	for _, k := range signedParams {
		switch v := claims[k].(type) {
		case string:
			out[k] = []string{v}
		case float64:
			out[k] = []string{strconv.FormatInt(int64(v), 10)}
		case map[string]any: // the claims parameter, as an object
			if b, err := json.Marshal(v); err == nil {
				out[k] = []string{string(b)}
			}
		case []any: // e.g. prompt or acr_values as arrays
			parts := make([]string, 0, len(v))
			for _, e := range v {
				if s, ok := e.(string); ok {
					parts = append(parts, s)
				}
			}
			out[k] = []string{strings.Join(parts, " ")}
		}
	}
	return out
}

// writeAuthorizeError answers an authorization request that cannot go back
// to a client (its redirect_uri is not validated yet).
func writeAuthorizeError(w http.ResponseWriter, code, description string) {
	writeOAuthError(w, http.StatusBadRequest, code, description)
}

// markOutageIf marks the request's outage when err is the store's.
func markOutageIf(ctx context.Context, err error) {
	if errors.Is(err, storage.ErrUnavailable) {
		markOutage(ctx)
	}
}

// applyClaimsParam reads the claims parameter (OIDC Core §5.5): the acr it
// asks of the ID token ({"id_token": {"acr": {"essential": true, "values":
// ["phrh"]}}}) is demanded as acr_values is, where acr_values is not given.
// Other requested claims are voluntary and are answered as the scopes say.
// It sets the request's parameters to params, without "claims", which op
// does not read.
func applyClaimsParam(r *http.Request, params url.Values) error {
	if raw := params.Get("claims"); raw != "" {
		var req struct {
			IDToken map[string]*struct {
				Essential bool     `json:"essential"`
				Value     string   `json:"value"`
				Values    []string `json:"values"`
			} `json:"id_token"`
		}
		if len(raw) > 4096 || json.Unmarshal([]byte(raw), &req) != nil {
			return errors.New("the claims parameter is not a JSON object of OIDC Core §5.5")
		}
		if acr := req.IDToken["acr"]; acr != nil && params.Get("acr_values") == "" {
			values := acr.Values
			if acr.Value != "" {
				values = append(values, acr.Value)
			}
			if len(values) > 0 {
				params.Set("acr_values", strings.Join(values, " "))
			}
		}
		params.Del("claims")
	}
	r.URL.RawQuery = params.Encode()
	r.Form, r.PostForm = params, nil
	if r.Method == http.MethodPost {
		r.PostForm = params
	}
	return nil
}

// signedPrompt reports whether a request object's prompt claim (a
// space-separated string or an array) holds want.
func signedPrompt(claim any, want string) bool {
	switch v := claim.(type) {
	case string:
		return slices.Contains(strings.Fields(v), want)
	case []any:
		return slices.ContainsFunc(v, func(e any) bool { s, _ := e.(string); return s == want })
	}
	return false
}
