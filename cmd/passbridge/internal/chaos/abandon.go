package chaos

import (
	"context"
	"net/http"
	"net/url"

	"github.com/passbridge/passbridge/provider/loadflow"
)

// AbandonFlow is the name of the abandoner in a load's results.
const AbandonFlow = "abandon"

// abandoner is a loadflow.User that begins sign-ins and leaves them, as
// people do: a discoverable ceremony started on the app's page (a
// handshake) and an authorization request (an auth request), neither
// finished. Completed flows leave nothing to collect (a handshake and a
// nonce are consumed), so these are what the periodic GC must remove.
type abandoner struct {
	base, app, client, redirect string
}

// NewAbandoner returns an abandoner of an app and its client.
func (w *World) NewAbandoner(appID, clientID, redirectURI string) loadflow.User {
	return &abandoner{base: w.Proxy.URL, app: appID, client: clientID, redirect: redirectURI}
}

func (a *abandoner) Run(ctx context.Context, _ loadflow.Recorder) error {
	st, body, err := call(ctx, http.MethodPost, a.base, "/v1/apps/"+a.app+"/authenticate/transactions/webauthn/start",
		"application/json", []byte(`{}`), map[string]string{"Origin": a.base})
	if err != nil || st != http.StatusOK {
		code, _ := codeOfBody(body)
		return &loadflow.StepError{Step: "abandoned_start", Status: st, Code: code, Err: err}
	}
	q := url.Values{"response_type": {"code"}, "client_id": {a.client}, "redirect_uri": {a.redirect}, "scope": {"openid"},
		"state": {"abandoned"}, "code_challenge": {"E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"}, "code_challenge_method": {"S256"}}
	st, body, err = call(ctx, http.MethodGet, a.base, "/authorize?"+q.Encode(), "", nil, nil)
	if err != nil || st != http.StatusFound {
		code, _ := codeOfBody(body)
		return &loadflow.StepError{Step: "abandoned_authorize", Status: st, Code: code, Err: err}
	}
	return nil
}
