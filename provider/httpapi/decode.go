package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"
)

// DecodeJSON reads the request body as one JSON object into v. The body must
// be a single object with nothing after it, in UTF-8, sent as
// application/json or with no Content-Type at all. Unknown fields are
// ignored: browser SDKs send more than a server reads. A body over the
// BodyLimit is a 413 request_too_large; anything else wrong is a 400
// invalid_request whose message says what, in words that are safe to show.
func DecodeJSON(c *gin.Context, v any) error {
	return decodeBody(c, v, false, false)
}

// DecodeOptionalJSON is DecodeJSON for a body that may be left out: a body
// with no bytes, or none but whitespace, leaves v as it is. Emptiness is
// decided on the bytes read, not on Content-Length, since a chunked body has
// no Content-Length however short it is.
func DecodeOptionalJSON(c *gin.Context, v any) error {
	return decodeBody(c, v, false, true)
}

// decodeBody reads and decodes the request body for the Decode functions:
// strict refuses members v does not have; optional lets the body be left
// out. The Content-Type is checked only when there is a body to decode.
func decodeBody(c *gin.Context, v any, strict, optional bool) error {
	if !optional {
		if err := checkContentType(c); err != nil {
			return err
		}
	}
	body, err := readBody(c)
	if err != nil {
		return err
	}
	if optional {
		if len(bytes.TrimLeft(body, jsonSpace)) == 0 {
			return nil
		}
		if err := checkContentType(c); err != nil {
			return err
		}
	}
	return decodeObject(body, v, strict)
}

// jsonSpace is the whitespace JSON allows around values (RFC 8259 §2).
const jsonSpace = " \t\r\n"

// checkContentType accepts application/json, with parameters, or no
// Content-Type at all.
func checkContentType(c *gin.Context) error {
	if ct := c.GetHeader("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || mt != "application/json" {
			return BadRequest("Content-Type must be application/json")
		}
	}
	return nil
}

// readBody reads the whole request body, however it is framed.
func readBody(c *gin.Context) ([]byte, error) {
	if c.Request.Body == nil {
		return nil, nil
	}
	body, err := io.ReadAll(c.Request.Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, errTooLarge(mbe.Limit)
		}
		return nil, Wrap(err, http.StatusBadRequest, CodeInvalidRequest, "request body could not be read")
	}
	return body, nil
}

// decodeObject is DecodeJSON without the transport: body must hold exactly
// one JSON object, in Unicode text. strict refuses, naming it, a member v
// does not have.
func decodeObject(body []byte, v any, strict bool) error {
	trimmed := bytes.TrimLeft(body, jsonSpace)
	if len(trimmed) == 0 {
		return BadRequest("request body is empty; a JSON object is required")
	}
	// The whole body is checked, so a part of it decoded later on its own
	// (a json.RawMessage field) is Unicode too.
	if err := checkText(trimmed); err != nil {
		return err
	}
	if trimmed[0] != '{' {
		return BadRequest("request body must be a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(trimmed))
	if strict {
		dec.DisallowUnknownFields()
	}
	if err := dec.Decode(v); err != nil {
		// encoding/json reports an unknown member only in its error text.
		if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok && strict {
			if unquoted, uerr := strconv.Unquote(name); uerr == nil {
				name = unquoted
			}
			return Wrap(err, http.StatusBadRequest, CodeInvalidRequest, fmt.Sprintf("field %s is not one this call takes", safeField(name)))
		}
		return Wrap(err, http.StatusBadRequest, CodeInvalidRequest, decodeMessage(err))
	}
	if rest := bytes.TrimSpace(trimmed[dec.InputOffset():]); len(rest) > 0 {
		return BadRequest("request body must contain a single JSON object, with nothing after it")
	}
	return nil
}

// decodeMessage explains a decoding failure without quoting the input or the
// decoder: the field that was wrong and what it should have been.
func decodeMessage(err error) string {
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) {
		if typeErr.Field == "" {
			return "request body must be a JSON object"
		}
		return fmt.Sprintf("field %s must be %s", safeField(typeErr.Field), jsonKind(typeErr.Type))
	}
	var syntaxErr *json.SyntaxError
	if errors.As(err, &syntaxErr) || errors.Is(err, io.ErrUnexpectedEOF) {
		return "request body is not valid JSON"
	}
	return "request body has a value of the wrong form"
}

// safeField keeps a field path printable and short. The path is built from
// the struct's JSON names and the client's map keys, so it is bounded and
// stripped of anything that is not a plain name character.
func safeField(f string) string {
	const max = 64
	var b []byte
	for i := 0; i < len(f) && len(b) < max; i++ {
		ch := f[i]
		if ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' || ch >= '0' && ch <= '9' || ch == '_' || ch == '.' || ch == '-' {
			b = append(b, ch)
		}
	}
	if len(b) == 0 {
		return "(unnamed)"
	}
	return string(b)
}

// jsonKind names, in JSON's words, what a Go type expects.
func jsonKind(t reflect.Type) string {
	if t == nil {
		return "of another type"
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == reflect.TypeFor[json.RawMessage]() {
		return "a JSON value"
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "an integer"
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a non-negative integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Map, reflect.Struct:
		return "an object"
	default:
		return "of another type"
	}
}
