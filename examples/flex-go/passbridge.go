package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// passbridge is a client of the management side of passbridge's Flex API,
// authenticated with one app's API key. Every call is server to server: the
// key never reaches a browser.
type passbridge struct {
	appURL string // .../v1/apps/{app_id}
	apiKey string
	http   *http.Client
}

func newPassbridge(baseURL, appID, apiKey string, client *http.Client) *passbridge {
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	return &passbridge{
		appURL: strings.TrimRight(baseURL, "/") + "/v1/apps/" + url.PathEscape(appID),
		apiKey: apiKey,
		http:   client,
	}
}

// passbridgeError is a refusal by passbridge: its HTTP status and its
// {"code", "error"} body.
type passbridgeError struct {
	Status  int
	Code    string
	Message string
}

func (e *passbridgeError) Error() string {
	return fmt.Sprintf("passbridge: %d %s: %s", e.Status, e.Code, e.Message)
}

// call sends in (if not nil) as JSON and decodes a 2xx answer into out (if
// not nil). A non-2xx answer is a *passbridgeError; a failure to reach
// passbridge or to read its answer is any other error.
func (p *passbridge) call(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, p.appURL+path, body)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+p.apiKey)
	req.Header.Set("Accept", "application/json")
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := p.http.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("%s %s: read answer: %w", method, path, err)
	}
	if res.StatusCode < 200 || res.StatusCode > 299 {
		perr := &passbridgeError{Status: res.StatusCode}
		var answer struct {
			Code  string `json:"code"`
			Error string `json:"error"`
		}
		if json.Unmarshal(raw, &answer) == nil {
			perr.Code, perr.Message = answer.Code, answer.Error
		}
		return perr
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("%s %s: decode answer: %w", method, path, err)
	}
	return nil
}

// createRegisterTransaction lets the browser register a passkey for
// externalID, which the authenticator shows as displayName. passbridge
// creates the user if it has not seen externalID yet.
func (p *passbridge) createRegisterTransaction(ctx context.Context, externalID, displayName string) (string, error) {
	var out struct {
		TransactionID string `json:"transaction_id"`
	}
	err := p.call(ctx, http.MethodPost, "/transactions/register",
		map[string]string{"external_id": externalID, "passkey_display_name": displayName}, &out)
	if err != nil {
		return "", err
	}
	return out.TransactionID, nil
}

// createAuthenticateTransaction lets the browser authenticate externalID
// with one of that user's passkeys.
func (p *passbridge) createAuthenticateTransaction(ctx context.Context, externalID string) (string, error) {
	var out struct {
		TransactionID string `json:"transaction_id"`
	}
	err := p.call(ctx, http.MethodPost, "/transactions/authenticate",
		map[string]string{"external_id": externalID}, &out)
	if err != nil {
		return "", err
	}
	return out.TransactionID, nil
}

// verified is what passbridge says of a redeemed nonce: whose it is, and
// what its ceremony was and proved.
type verified struct {
	ExternalID string `json:"external_id"`
	Kind       string `json:"kind"` // "register" or "authenticate"
	DeviceID   string `json:"device_id"`
	// UserVerified says the authenticator verified the person (PIN,
	// biometrics), not only their presence (WebAuthn L3 §6.1, flag UV).
	UserVerified bool `json:"user_verified"`
}

// verifyNonce redeems a nonce, once, for what passbridge knows of the
// ceremony that produced it.
func (p *passbridge) verifyNonce(ctx context.Context, nonce string) (verified, error) {
	var out verified
	if err := p.call(ctx, http.MethodPost, "/authenticate/verify", map[string]string{"nonce": nonce}, &out); err != nil {
		return verified{}, err
	}
	if out.ExternalID == "" || out.DeviceID == "" || (out.Kind != "register" && out.Kind != "authenticate") {
		return verified{}, fmt.Errorf("verify nonce: passbridge answered without external_id, kind or device_id")
	}
	return out, nil
}

// device is a passkey as passbridge's management API describes it (the
// fields this app shows).
type device struct {
	ID           string     `json:"id"`
	FriendlyName string     `json:"friendly_name"`
	Type         string     `json:"type"`
	CreatedAt    time.Time  `json:"created_at"`
	LastLoginAt  *time.Time `json:"last_login_at"`
	UsageCount   int64      `json:"usage_count"`
	Icons        struct {
		Light *string `json:"light"`
		Dark  *string `json:"dark"`
	} `json:"icons"`
}

// userID finds the passbridge user ID of externalID; "" when passbridge
// does not know the user.
func (p *passbridge) userID(ctx context.Context, externalID string) (string, error) {
	var users struct {
		Users []struct {
			ID         string `json:"id"`
			ExternalID string `json:"external_id"`
		} `json:"users"`
	}
	if err := p.call(ctx, http.MethodGet, "/users?"+url.Values{"identifier": {externalID}}.Encode(), nil, &users); err != nil {
		return "", err
	}
	for _, u := range users.Users {
		if u.ExternalID == externalID {
			return u.ID, nil
		}
	}
	return "", nil
}

// devicesOf lists the passkeys of the user whose external ID is externalID;
// none when passbridge does not know the user.
func (p *passbridge) devicesOf(ctx context.Context, externalID string) ([]device, error) {
	id, err := p.userID(ctx, externalID)
	if err != nil || id == "" {
		return nil, err
	}
	return p.devices(ctx, id)
}

// devices lists the passkeys of the passbridge user userID.
func (p *passbridge) devices(ctx context.Context, userID string) ([]device, error) {
	var out struct {
		Devices []device `json:"devices"`
	}
	if err := p.call(ctx, http.MethodGet, devicePath(userID, ""), nil, &out); err != nil {
		return nil, err
	}
	return out.Devices, nil
}

// renameDevice sets the name a passkey of the passbridge user userID is
// shown by. passbridge refuses (404 device_not_found) a device that is not
// that user's.
func (p *passbridge) renameDevice(ctx context.Context, userID, deviceID, name string) (device, error) {
	var out struct {
		Device device `json:"device"`
	}
	err := p.call(ctx, http.MethodPatch, devicePath(userID, deviceID), map[string]string{"friendly_name": name}, &out)
	if err != nil {
		return device{}, err
	}
	return out.Device, nil
}

// deleteDevice removes a passkey of the passbridge user userID. passbridge
// refuses (404 device_not_found) a device that is not that user's.
func (p *passbridge) deleteDevice(ctx context.Context, userID, deviceID string) error {
	return p.call(ctx, http.MethodDelete, devicePath(userID, deviceID), nil, nil)
}

// revokeDevice removes a passkey from externalID's account in passbridge.
// A device that is gone already is no error.
func (p *passbridge) revokeDevice(ctx context.Context, externalID, deviceID string) error {
	id, err := p.userID(ctx, externalID)
	if err != nil || id == "" {
		return err
	}
	if err := p.deleteDevice(ctx, id, deviceID); err != nil && !isNotFound(err) {
		return err
	}
	return nil
}

// devicePath is the management path of a user's devices, or of one of them.
func devicePath(userID, deviceID string) string {
	path := "/users/" + url.PathEscape(userID) + "/devices"
	if deviceID != "" {
		path += "/" + url.PathEscape(deviceID)
	}
	return path
}

// isNotFound reports whether passbridge answered 404: the user or device
// does not exist, or is not the one the path names.
func isNotFound(err error) bool {
	var pe *passbridgeError
	return errors.As(err, &pe) && pe.Status == http.StatusNotFound
}
