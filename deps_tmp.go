//go:build deps

package passbridge

import (
	_ "github.com/chromedp/cdproto/webauthn"
	_ "github.com/chromedp/chromedp"
	_ "github.com/fxamacker/cbor/v2"
	_ "github.com/gin-gonic/gin"
	_ "github.com/go-webauthn/webauthn/protocol"
	_ "github.com/go-webauthn/webauthn/webauthn"
	_ "github.com/google/uuid"
	_ "github.com/jmoiron/sqlx"
	_ "github.com/lib/pq"
	_ "github.com/pressly/goose/v3"
	_ "github.com/prometheus/client_golang/prometheus"
	_ "github.com/prometheus/client_golang/prometheus/promhttp"
	_ "github.com/spf13/cobra"
	_ "github.com/zitadel/oidc/v3/pkg/op"
	_ "github.com/zitadel/oidc/v3/pkg/oidc"
	_ "github.com/go-jose/go-jose/v4"
	_ "go.yaml.in/yaml/v3"
	_ "golang.org/x/net/publicsuffix"
	_ "modernc.org/sqlite"
)
