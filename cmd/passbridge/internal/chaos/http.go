package chaos

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"
)

// call sends one request to base+path and returns the status and body.
func call(ctx context.Context, method, base, path, ctype string, body []byte, header map[string]string) (int, []byte, error) {
	ctx, cancel := context.WithTimeout(ctx, RequestTimeout)
	defer cancel()
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, base+path, r)
	if err != nil {
		return 0, nil, err
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := callClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	return res.StatusCode, raw, err
}

// callClient follows no redirect: a redirect is an answer to check.
var callClient = &http.Client{
	Timeout:       RequestTimeout,
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

// bearer is an Authorization header.
func bearer(key string) map[string]string { return map[string]string{"Authorization": "Bearer " + key} }

// basic is an Authorization header of client credentials (RFC 6749 §2.3.1).
func basic(id, secret string) map[string]string {
	req, _ := http.NewRequest(http.MethodGet, "/", nil)
	req.SetBasicAuth(url.QueryEscape(id), url.QueryEscape(secret))
	return map[string]string{"Authorization": req.Header.Get("Authorization")}
}

// adminJSON calls the admin API at base with the admin key and decodes a
// 2xx answer into out.
func adminJSON(ctx context.Context, base, key, method, path string, in, out any) error {
	var body []byte
	ctype := ""
	if in != nil {
		body, _ = json.Marshal(in)
		ctype = "application/json"
	}
	st, raw, err := call(ctx, method, base, "/admin/v1"+path, ctype, body, bearer(key))
	if err != nil {
		return err
	}
	if st >= 300 {
		return fmt.Errorf("%s %s: %d %s", method, path, st, raw)
	}
	if out != nil {
		return json.Unmarshal(raw, out)
	}
	return nil
}

// activeKID is the ID of the key an instance signs with: the first of its
// JWKS (the active key, then the next, then retired ones).
func activeKID(ctx context.Context, base string) (string, error) {
	st, raw, err := call(ctx, http.MethodGet, base, "/.well-known/openid-configuration", "", nil, nil)
	if err != nil || st != http.StatusOK {
		return "", fmt.Errorf("discovery: %d %v", st, err)
	}
	var d struct {
		JWKS string `json:"jwks_uri"`
	}
	if err := json.Unmarshal(raw, &d); err != nil {
		return "", err
	}
	u, err := url.Parse(d.JWKS)
	if err != nil {
		return "", err
	}
	st, raw, err = call(ctx, http.MethodGet, base, u.Path, "", nil, nil)
	if err != nil || st != http.StatusOK {
		return "", fmt.Errorf("jwks: %d %v", st, err)
	}
	var ks struct {
		Keys []struct {
			KID string `json:"kid"`
		} `json:"keys"`
	}
	if err := json.Unmarshal(raw, &ks); err != nil || len(ks.Keys) == 0 {
		return "", fmt.Errorf("jwks: %v: %.100s", err, raw)
	}
	return ks.Keys[0].KID, nil
}

// until polls cond every 20 ms until it holds or limit passes; it returns
// the time it took, or an error after limit.
func until(ctx context.Context, limit time.Duration, cond func() bool) (time.Duration, error) {
	start := time.Now()
	for {
		if cond() {
			return time.Since(start), nil
		}
		if time.Since(start) > limit {
			return 0, fmt.Errorf("not within %s", limit)
		}
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}
