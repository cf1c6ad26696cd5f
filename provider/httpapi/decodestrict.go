package httpapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"
)

// DecodeStrictJSON is DecodeJSON for APIs whose callers are people and
// their scripts, not SDKs: a member v does not have is refused, naming it,
// instead of ignored, so that a misspelt setting is never silently
// dropped.
func DecodeStrictJSON(c *gin.Context, v any) error {
	if err := checkContentType(c); err != nil {
		return err
	}
	body, err := readBody(c)
	if err != nil {
		return err
	}
	return decodeStrictObject(body, v)
}

// DecodeOptionalStrictJSON is DecodeStrictJSON for a body that may be left
// out (see DecodeOptionalJSON).
func DecodeOptionalStrictJSON(c *gin.Context, v any) error {
	body, err := readBody(c)
	if err != nil {
		return err
	}
	if len(bytes.TrimLeft(body, jsonSpace)) == 0 {
		return nil
	}
	if err := checkContentType(c); err != nil {
		return err
	}
	return decodeStrictObject(body, v)
}

func decodeStrictObject(body []byte, v any) error {
	trimmed := bytes.TrimLeft(body, jsonSpace)
	if len(trimmed) == 0 {
		return BadRequest("request body is empty; a JSON object is required")
	}
	if err := checkText(trimmed); err != nil {
		return err
	}
	if trimmed[0] != '{' {
		return BadRequest("request body must be a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(trimmed))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		// encoding/json reports an unknown member only in its error text.
		if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
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
