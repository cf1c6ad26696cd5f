package chaos

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/passbridge/passbridge/provider/loadflow"
)

// RefreshStep is the step of a refresh token's redemption.
const RefreshStep = "refresh"

// RefreshFlow is the name of the refresher in a load's results.
const RefreshFlow = "refresh"

// refresher is a loadflow.User that redeems, each iteration, one refresh
// token the OIDC flows were issued (they ask for offline_access) or a
// rotation returned, at the token endpoint with the client's credentials:
// the refresh tokens' part in the double-spend accounting.
type refresher struct {
	ledger *Ledger
	hc     *http.Client
	base   string
	auth   map[string]string
}

// NewRefresher returns the refresher of the world's ledger for client o.
func (w *World) NewRefresher(clientID, secret string, hc *http.Client) loadflow.User {
	return &refresher{ledger: w.Ledger, hc: hc, base: w.Proxy.URL, auth: basic(clientID, secret)}
}

// errNoRefreshToken is an iteration that found nothing to redeem for a
// whole second: the OIDC flows are not issuing refresh tokens.
var errNoRefreshToken = errors.New("no refresh token issued to redeem")

func (r *refresher) Run(ctx context.Context, _ loadflow.Recorder) error {
	tok := ""
	for deadline := time.Now().Add(time.Second); tok == ""; {
		if tok = r.ledger.TakeRefreshToken(); tok != "" {
			break
		}
		if time.Now().After(deadline) {
			return &loadflow.StepError{Step: RefreshStep, Err: errNoRefreshToken}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
	form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.base+"/oauth/token", strings.NewReader(form.Encode()))
	if err != nil {
		return &loadflow.StepError{Step: RefreshStep, Err: err}
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", r.auth["Authorization"])
	req.Header.Set(StepHeader, RefreshStep)
	res, err := r.hc.Do(req)
	if err != nil {
		return &loadflow.StepError{Step: RefreshStep, Err: err}
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		return &loadflow.StepError{Step: RefreshStep, Status: res.StatusCode, Err: err}
	}
	if res.StatusCode != http.StatusOK {
		code, _ := codeOfBody(body)
		return &loadflow.StepError{Step: RefreshStep, Status: res.StatusCode, Code: code}
	}
	return nil
}
