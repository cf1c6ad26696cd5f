package loadflow

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

// StepError is a step that did not get the answer its flow expects.
type StepError struct {
	Step   string // the step's name, as the Recorder gets it
	Status int    // the HTTP status; 0 when there was no answer
	Code   string // the body's code: {"code"} of passbridge's APIs, {"error"} of OAuth's
	Err    error  // what went wrong beyond the status, if anything
}

// Error reads "step: status code: message", leaving out what is absent.
func (e *StepError) Error() string {
	var b strings.Builder
	b.WriteString(e.Step)
	b.WriteString(":")
	if e.Status != 0 {
		fmt.Fprintf(&b, " %d", e.Status)
	}
	if e.Code != "" {
		b.WriteString(" " + e.Code)
	}
	if e.Err != nil {
		if e.Status != 0 || e.Code != "" {
			b.WriteString(":")
		}
		b.WriteString(" " + e.Err.Error())
	}
	return b.String()
}

// Unwrap returns the error beyond the status, if any.
func (e *StepError) Unwrap() error { return e.Err }

// stepErr is a StepError for what a step found wrong in an answer it took.
func stepErr(step string, format string, args ...any) error {
	return &StepError{Step: step, Err: fmt.Errorf(format, args...)}
}

// request is one HTTP call of a step.
type request struct {
	step   string
	method string
	url    string
	body   []byte
	ctype  string
	origin string // sent as Origin when set, as a browser's script does
	bearer string // sent as Authorization: Bearer when set
	basic  [2]string
	want   int // the status the flow expects
	alt    int // another status it takes, if any
}

// answer is a response read whole.
type answer struct {
	status int
	header http.Header
	body   []byte
	url    *url.URL // the request's
}

// location resolves the answer's Location against its request.
func (a answer) location() (*url.URL, error) {
	loc := a.header.Get("Location")
	if loc == "" {
		return nil, fmt.Errorf("no location")
	}
	return a.url.Parse(loc)
}

// do sends r with hc, reads the whole answer (so the connection is kept),
// and reports the time to rec under r.step. A status other than r.want is a
// StepError with the body's code.
func do(ctx context.Context, hc *http.Client, rec Recorder, r request) (answer, error) {
	var body io.Reader
	if r.body != nil {
		body = bytes.NewReader(r.body)
	}
	req, err := http.NewRequestWithContext(withStep(ctx, r.step), r.method, r.url, body)
	if err != nil {
		return answer{}, &StepError{Step: r.step, Err: err}
	}
	if r.ctype != "" {
		req.Header.Set("Content-Type", r.ctype)
	}
	if r.origin != "" {
		req.Header.Set("Origin", r.origin)
	}
	if r.bearer != "" {
		req.Header.Set("Authorization", "Bearer "+r.bearer)
	}
	if r.basic[0] != "" {
		// RFC 6749 §2.3.1: both parts form-encoded first.
		req.SetBasicAuth(url.QueryEscape(r.basic[0]), url.QueryEscape(r.basic[1]))
	}
	start := time.Now()
	res, err := hc.Do(req)
	if err != nil {
		rec.Step(r.step, time.Since(start))
		return answer{}, &StepError{Step: r.step, Err: unwrapURLError(err)}
	}
	raw, err := io.ReadAll(res.Body)
	res.Body.Close()
	rec.Step(r.step, time.Since(start))
	a := answer{status: res.StatusCode, header: res.Header, body: raw, url: req.URL}
	if err != nil {
		return a, &StepError{Step: r.step, Status: res.StatusCode, Err: err}
	}
	if res.StatusCode != r.want && (r.alt == 0 || res.StatusCode != r.alt) {
		code, msg := codeOf(raw, res.Header)
		se := &StepError{Step: r.step, Status: res.StatusCode, Code: code}
		if msg != "" {
			se.Err = errors.New(msg)
		}
		return a, se
	}
	return a, nil
}

type stepKey struct{}

// withStep marks ctx as that of a request of step.
func withStep(ctx context.Context, step string) context.Context {
	return context.WithValue(ctx, stepKey{}, step)
}

// StepOf returns the name of the step a request belongs to, from its
// context, as the Recorder gets it ("" for a request no step made, such as
// go-oidc's discovery). A transport may route or count by it: the chaos
// tests pin each step of a ceremony to another instance behind a proxy.
func StepOf(ctx context.Context) string {
	s, _ := ctx.Value(stepKey{}).(string)
	return s
}

// unwrapURLError drops url.Error's method and URL, which carry the IDs of
// one request, so that the same failure reads the same every time.
func unwrapURLError(err error) error {
	if ue, ok := err.(*url.Error); ok {
		return ue.Err
	}
	return err
}

// codeOf reads the code and message of an error body: passbridge's
// {"code", "error"}, OAuth's {"error", "error_description"}, or those of a
// redirect to the client. The message is cut short: it is for people.
func codeOf(body []byte, h http.Header) (code, msg string) {
	var e struct {
		Code        string `json:"code"`
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	if json.Unmarshal(body, &e) == nil {
		switch {
		case e.Code != "":
			code, msg = e.Code, e.Error
		case e.Error != "":
			code, msg = e.Error, e.Description
		}
	}
	if loc, err := url.Parse(h.Get("Location")); code == "" && err == nil && loc.Query().Get("error") != "" {
		code, msg = loc.Query().Get("error"), loc.Query().Get("error_description")
	}
	if len(msg) > maxMessage {
		msg = msg[:maxMessage] + "…"
	}
	return code, msg
}

// maxMessage bounds the message an error carries from a body.
const maxMessage = 160

// postJSON is a JSON POST of v that expects 200 and decodes the answer into
// out (when not nil).
func postJSON(ctx context.Context, hc *http.Client, rec Recorder, r request, v, out any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return &StepError{Step: r.step, Err: err}
	}
	r.method, r.body, r.ctype, r.want = http.MethodPost, raw, "application/json", http.StatusOK
	a, err := do(ctx, hc, rec, r)
	if err != nil {
		return err
	}
	if out != nil {
		if err := json.Unmarshal(a.body, out); err != nil {
			return &StepError{Step: r.step, Status: a.status, Err: fmt.Errorf("answer is not the expected json: %v", err)}
		}
	}
	return nil
}

// timed reports fn's time to rec under step: work of the client itself,
// such as the authenticator's.
func timed[T any](rec Recorder, step string, fn func() (T, error)) (T, error) {
	start := time.Now()
	v, err := fn()
	rec.Step(step, time.Since(start))
	if err != nil {
		var zero T
		return zero, &StepError{Step: step, Err: err}
	}
	return v, nil
}
