package apitest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// Response is an HTTP answer, read whole.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// Decode unmarshals the body into v.
func (r Response) Decode(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("body %q: %v", r.Body, err)
	}
}

// Send makes a request to srv and reads the answer. body is nil, []byte or
// string (sent as is, so tests can send what a faulty client would), or a
// value to encode as JSON; a body is labelled application/json, and header
// is set after that.
func Send(t testing.TB, ctx context.Context, srv *httptest.Server, method, path string, body any, header map[string]string) Response {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	case string:
		rd = strings.NewReader(b)
	default:
		enc, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(enc)
	}
	req, err := http.NewRequestWithContext(ctx, method, srv.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return do(t, srv, req, header)
}

// SendChunked POSTs body to srv with Transfer-Encoding: chunked and no
// Content-Length, as a client streaming its body does, whatever its
// length, and reads the answer. Only header is set: no Content-Type unless
// it names one.
func SendChunked(t testing.TB, ctx context.Context, srv *httptest.Server, path, body string, header map[string]string) Response {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Body = io.NopCloser(strings.NewReader(body))
	req.ContentLength = -1
	req.TransferEncoding = []string{"chunked"}
	return do(t, srv, req, header)
}

// do sets header on req, sends it to srv and reads the answer.
func do(t testing.TB, srv *httptest.Server, req *http.Request, header map[string]string) Response {
	t.Helper()
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := srv.Client().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL.RequestURI(), err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return Response{Status: res.StatusCode, Header: res.Header, Body: b}
}

// OK fails the test unless r is a 200.
func OK(t testing.TB, r Response) {
	t.Helper()
	if r.Status != http.StatusOK {
		t.Fatalf("status %d, want 200: %s", r.Status, r.Body)
	}
}

// WantError checks an error answer: status and the {"code", "error"}
// envelope, exactly, with the given code and a message.
func WantError(t testing.TB, r Response, status int, code string) {
	t.Helper()
	var e map[string]any
	if err := json.Unmarshal(r.Body, &e); err != nil {
		t.Fatalf("status %d, body %q is not JSON: %v", r.Status, r.Body, err)
	}
	msg, _ := e["error"].(string)
	if r.Status != status || e["code"] != code || msg == "" || len(e) != 2 {
		t.Fatalf("got %d %s, want %d with code %q", r.Status, r.Body, status, code)
	}
}

// WantInvalidRequest checks a refusal of a request body: 400
// invalid_request with exactly the message msg.
func WantInvalidRequest(t testing.TB, r Response, msg string) {
	t.Helper()
	WantError(t, r, http.StatusBadRequest, "invalid_request")
	var e struct{ Error string }
	r.Decode(t, &e)
	if e.Error != msg {
		t.Errorf("message %q, want %q", e.Error, msg)
	}
}
