package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/passbridge/passbridge/ceremony/transfer"
)

// Backend makes and removes what a run needs at the server, and seeds
// users: through the admin API (AdminAPI) or the store (StoreBackend).
type Backend interface {
	// CreateApp makes an app of RP ID rpID whose pages run on origin.
	CreateApp(ctx context.Context, name, rpID, origin string) (string, error)
	// CreateAPIKey makes an API key of the app and returns the key.
	CreateAPIKey(ctx context.Context, appID, name string) (string, error)
	// CreateClient registers an OpenID Connect client: public, or
	// confidential with client_secret_basic (its secret returned).
	CreateClient(ctx context.Context, appID, name, redirectURI string, public bool) (id, secret string, err error)
	// DeleteApp removes the app with everything it holds.
	DeleteApp(ctx context.Context, appID string) error
	// Import adds the users of an export (NDJSON) to the app.
	Import(ctx context.Context, appID string, ndjson io.Reader) (transfer.Summary, error)
}

// AdminAPI is a Backend over the admin API (/admin/v1) with an admin key.
type AdminAPI struct {
	URL  string // the server
	Key  string // pba_…
	HTTP *http.Client
}

var _ Backend = (*AdminAPI)(nil)

// call sends a request to the admin API and decodes a want answer into out.
func (a *AdminAPI) call(ctx context.Context, method, path, ctype string, body io.Reader, want int, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimRight(a.URL, "/")+"/admin/v1"+path, body)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+a.Key)
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	hc := a.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	res, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("admin api: %w", err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		return fmt.Errorf("admin api: %w", err)
	}
	if res.StatusCode != want {
		var e struct {
			Code  string `json:"code"`
			Error string `json:"error"`
		}
		_ = json.Unmarshal(raw, &e)
		return fmt.Errorf("admin api: %s %s: %d %s: %s", method, path, res.StatusCode, e.Code, e.Error)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			return fmt.Errorf("admin api: %s %s: %w", method, path, err)
		}
	}
	return nil
}

func (a *AdminAPI) postJSON(ctx context.Context, path string, body, out any) error {
	raw, err := json.Marshal(body)
	if err != nil {
		return err
	}
	return a.call(ctx, http.MethodPost, path, "application/json", bytes.NewReader(raw), http.StatusCreated, out)
}

// CreateApp is POST /admin/v1/apps.
func (a *AdminAPI) CreateApp(ctx context.Context, name, rpID, origin string) (string, error) {
	var out struct {
		ID string `json:"id"`
	}
	err := a.postJSON(ctx, "/apps", map[string]any{"name": name, "rp_id": rpID, "origins": []string{origin}}, &out)
	return out.ID, err
}

// CreateAPIKey is POST /admin/v1/apps/{app_id}/api-keys.
func (a *AdminAPI) CreateAPIKey(ctx context.Context, appID, name string) (string, error) {
	var out struct {
		Key string `json:"key"`
	}
	err := a.postJSON(ctx, "/apps/"+appID+"/api-keys", map[string]string{"name": name}, &out)
	return out.Key, err
}

// CreateClient is POST /admin/v1/apps/{app_id}/clients.
func (a *AdminAPI) CreateClient(ctx context.Context, appID, name, redirectURI string, public bool) (string, string, error) {
	var out struct {
		ClientID     string `json:"client_id"`
		ClientSecret string `json:"client_secret"`
	}
	err := a.postJSON(ctx, "/apps/"+appID+"/clients",
		map[string]any{"name": name, "redirect_uris": []string{redirectURI}, "public": public}, &out)
	return out.ClientID, out.ClientSecret, err
}

// DeleteApp is DELETE /admin/v1/apps/{app_id}.
func (a *AdminAPI) DeleteApp(ctx context.Context, appID string) error {
	return a.call(ctx, http.MethodDelete, "/apps/"+appID, "", nil, http.StatusNoContent, nil)
}

// Import is POST /admin/v1/apps/{app_id}/import.
func (a *AdminAPI) Import(ctx context.Context, appID string, ndjson io.Reader) (transfer.Summary, error) {
	var sum transfer.Summary
	err := a.call(ctx, http.MethodPost, "/apps/"+appID+"/import", "application/x-ndjson", ndjson, http.StatusOK, &sum)
	return sum, err
}
