package httpapi_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/passbridge/passbridge/ceremony"
	"github.com/passbridge/passbridge/provider/httpapi"
	"github.com/passbridge/passbridge/storage"
)

func TestErrorWriter(t *testing.T) {
	secret := errors.New("pq: password authentication failed for user secret-db-user")
	tests := []struct {
		name        string
		err         error
		wantStatus  int
		wantCode    string
		wantMessage string
	}{
		{"api error", httpapi.NewError(http.StatusConflict, "thing_exists", "the thing exists"), 409, "thing_exists", "the thing exists"},
		{"api error with cause", httpapi.Wrap(secret, http.StatusBadRequest, "invalid_request", "bad thing"), 400, "invalid_request", "bad thing"},
		{"bad request helper", httpapi.BadRequest("field %s is required", "nonce"), 400, "invalid_request", "field nonce is required"},
		{"plain error", secret, 500, "internal_server_error", "internal server error"},
		{"wrapped plain error", fmt.Errorf("load user: %w", secret), 500, "internal_server_error", "internal server error"},
		{"store unavailable", fmt.Errorf("get app: %w: %w", storage.ErrUnavailable, secret), 503, "store_unavailable", "the store is unavailable; retry later"},
		{"5xx api error over an outage", httpapi.Wrap(fmt.Errorf("x: %w", storage.ErrUnavailable), 500, "internal_server_error", "oops"), 503, "store_unavailable", "the store is unavailable; retry later"},
		{"4xx api error over an outage", httpapi.Wrap(storage.ErrUnavailable, 400, "invalid_request", "no"), 400, "invalid_request", "no"},
		{"ceremony error hides its cause", &ceremony.Error{Code: ceremony.CodeVerificationFailed, Message: "origin not allowed", Err: secret}, 422, "webauthn_verification_failed", "origin not allowed"},
		{"wrapped ceremony error", fmt.Errorf("finish: %w", ceremony.ErrUserNotFound), 404, "user_not_found", "user not found"},
		{"api error without a status", &httpapi.Error{Code: "oops", Message: "oops"}, 500, "internal_server_error", "internal server error"},
		{"api error with a 2xx status", httpapi.NewError(200, "fine", "fine"), 500, "internal_server_error", "internal server error"},
		{"api 503", httpapi.NewError(503, "maintenance", "down for maintenance"), 503, "maintenance", "down for maintenance"},
		{"unknown ceremony code", &ceremony.Error{Code: "brand_new_code", Message: "new"}, 400, "brand_new_code", "new"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, logs := newEngine(t, 0)
			r.GET("/x", httpapi.Handle(func(c *gin.Context) error { return tt.err }))
			res := do(t, r, "GET", "/x", nil, nil)
			if res.Status != tt.wantStatus || res.Code != tt.wantCode || res.Error != tt.wantMessage {
				t.Fatalf("got %d %q %q, want %d %q %q", res.Status, res.Code, res.Error, tt.wantStatus, tt.wantCode, tt.wantMessage)
			}
			if strings.Contains(string(res.Body), "secret-db-user") {
				t.Fatalf("cause leaked to the client: %s", res.Body)
			}
			if errors.Is(tt.err, secret) && tt.wantStatus >= 500 && !strings.Contains(logs.String(), "secret-db-user") {
				t.Fatalf("cause of a %d not logged: %s", tt.wantStatus, logs)
			}
		})
	}
}

// Every ceremony code has the status DESIGN §4 gives it.
func TestCeremonyStatuses(t *testing.T) {
	want := map[string]int{
		ceremony.CodeInvalidRequest:          400,
		ceremony.CodeInvalidNonce:            401,
		ceremony.CodeCannotCreateTransaction: 403,
		ceremony.CodeUserInactive:            403,
		ceremony.CodeUserNotFound:            404,
		ceremony.CodeDeviceNotFound:          404,
		ceremony.CodeLastDevice:              409,
		ceremony.CodeTransactionNotFound:     404,
		ceremony.CodeHandshakeNotFound:       404,
		ceremony.CodeUserHasNoPasskeys:       409,
		ceremony.CodeCredentialRegistered:    409,
		ceremony.CodeTransactionExpired:      410,
		ceremony.CodeVerificationFailed:      422,
	}
	sentinels := []*ceremony.Error{
		ceremony.ErrInvalidRequest, ceremony.ErrUserNotFound, ceremony.ErrDeviceNotFound,
		ceremony.ErrTransactionNotFound, ceremony.ErrTransactionExpired, ceremony.ErrHandshakeNotFound,
		ceremony.ErrUserHasNoPasskeys, ceremony.ErrCredentialRegistered, ceremony.ErrCannotCreateTransaction,
		ceremony.ErrInvalidNonce, ceremony.ErrVerificationFailed, ceremony.ErrUserInactive, ceremony.ErrLastDevice,
	}
	if len(sentinels) != len(want) {
		t.Fatalf("%d sentinels, %d statuses", len(sentinels), len(want))
	}
	for _, s := range sentinels {
		t.Run(s.Code, func(t *testing.T) {
			r, _ := newEngine(t, 0)
			r.GET("/x", httpapi.Handle(func(c *gin.Context) error { return s }))
			res := do(t, r, "GET", "/x", nil, nil)
			if res.Status != want[s.Code] || res.Code != s.Code || res.Error != s.Message {
				t.Fatalf("got %d %q %q, want %d %q %q", res.Status, res.Code, res.Error, want[s.Code], s.Code, s.Message)
			}
		})
	}
}

func TestNotFoundAndMethodNotAllowed(t *testing.T) {
	r, _ := newEngine(t, 0)
	r.GET("/things", httpapi.Handle(func(c *gin.Context) error { c.Status(http.StatusNoContent); return nil }))

	res := do(t, r, "GET", "/nothing/here", nil, nil)
	if res.Status != 404 || res.Code != "not_found" {
		t.Fatalf("unknown path: got %d %q", res.Status, res.Code)
	}
	res = do(t, r, "DELETE", "/things", nil, nil)
	if res.Status != 405 || res.Code != "method_not_allowed" {
		t.Fatalf("wrong method: got %d %q", res.Status, res.Code)
	}
	if got := res.Header.Get("Allow"); got != "GET" {
		t.Fatalf("Allow = %q, want GET", got)
	}
	if res := do(t, r, "GET", "/things", nil, nil); res.Status != 204 {
		t.Fatalf("served route: got %d", res.Status)
	}
}

func TestErrorAfterWrite(t *testing.T) {
	r, logs := newEngine(t, 0)
	r.GET("/x", httpapi.Handle(func(c *gin.Context) error {
		c.JSON(http.StatusOK, gin.H{"ok": true})
		return errors.New("late failure")
	}))
	res := do(t, r, "GET", "/x", nil, nil)
	if res.Status != 200 || string(res.Body) != `{"ok":true}` {
		t.Fatalf("got %d %s, want the handler's own response", res.Status, res.Body)
	}
	if !strings.Contains(logs.String(), "late failure") {
		t.Fatalf("late error not logged: %s", logs)
	}
}

// A request its client abandoned is recorded as 499, at info level: no
// 500 and no error line for something that did not fail.
func TestErrorWriterClientGone(t *testing.T) {
	r, logs := newEngine(t, 0)
	r.GET("/x", httpapi.Handle(func(c *gin.Context) error {
		return fmt.Errorf("load: %w", c.Request.Context().Err())
	}))
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	req := httptest.NewRequestWithContext(ctx, "GET", "/x", nil)
	w := httptest.NewRecorder()
	r.ServeHTTP(w, req)
	if w.Code != httpapi.StatusClientClosedRequest {
		t.Fatalf("status %d, want 499", w.Code)
	}
	for _, l := range logs.lines(t) {
		if l["level"] == "ERROR" {
			t.Fatalf("an abandoned request logged an error: %v", l)
		}
	}
}
