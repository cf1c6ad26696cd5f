package oidc

import (
	"context"

	"github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// SigningKey is the active key, from the signing manager's cache.
func (s *opStorage) SigningKey(ctx context.Context) (op.SigningKey, error) {
	k, err := s.keys.SigningKey(ctx)
	if err != nil {
		return nil, s.translate(ctx, "signing key", err, nil)
	}
	return k, nil
}

// SignatureAlgorithms are those of the active and next keys (discovery's
// id_token_signing_alg_values_supported).
func (s *opStorage) SignatureAlgorithms(ctx context.Context) ([]jose.SignatureAlgorithm, error) {
	algs, err := s.keys.SignatureAlgorithms(ctx)
	if err != nil {
		return nil, s.translate(ctx, "signature algorithms", err, nil)
	}
	return algs, nil
}

// KeySet is the JWKS: the active, next and not yet expired retired keys.
func (s *opStorage) KeySet(ctx context.Context) ([]op.Key, error) {
	keys, err := s.keys.PublicKeys(ctx)
	if err != nil {
		return nil, s.translate(ctx, "key set", err, nil)
	}
	out := make([]op.Key, len(keys))
	for i, k := range keys {
		out[i] = k
	}
	return out, nil
}
