package signing_test

import (
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/passbridge/passbridge/provider/signing"
)

// The keys are what zitadel's op signs with and publishes.
var (
	_ op.SigningKey = (*signing.PrivateKey)(nil)
	_ op.Key        = (*signing.PublicKey)(nil)
)
