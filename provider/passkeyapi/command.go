package passkeyapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"unicode"

	"github.com/gin-gonic/gin"

	"github.com/passbridge/passbridge/provider/httpapi"
	"github.com/passbridge/passbridge/storage"
)

// commandRequest is the body of run-command.
type commandRequest struct {
	Command string          `json:"command"`
	Data    json.RawMessage `json:"data"`
}

// maxCommandNameEcho bounds how much of an unknown command's name is sent
// back in the error.
const maxCommandNameEcho = 64

// runCommand decodes a command and runs it. Each command's result is its
// data object, sent with 200; failures reach commandErrors.
func (a *API) runCommand(c *gin.Context) error {
	var req commandRequest
	if err := httpapi.DecodeJSON(c, &req); err != nil {
		return err
	}
	if req.Command == "" {
		return invalidFields(fieldProblem{Field: "command", Code: "required", Message: "command is required"})
	}
	var (
		result any
		err    error
	)
	switch req.Command {
	case "StartPasskeyRegistration":
		result, err = a.startPasskeyRegistration(c, req.Data)
	case "FinishPasskeyRegistration":
		result, err = a.finishPasskeyRegistration(c, req.Data)
	case "StartPasskeyAuthentication":
		result, err = a.startPasskeyAuthentication(c, req.Data)
	case "FinishPasskeyAuthentication":
		result, err = a.finishPasskeyAuthentication(c, req.Data)
	case "FetchAllPasskeysForUser":
		result, err = a.fetchAllPasskeysForUser(c, req.Data)
	case "DeregisterPasskey":
		result, err = a.deregisterPasskey(c, req.Data)
	case "DeregisterAllPasskeysForUser":
		result, err = a.deregisterAllPasskeysForUser(c, req.Data)
	default:
		name := req.Command
		if len(name) > maxCommandNameEcho {
			name = name[:maxCommandNameEcho]
		}
		return &commandError{
			code:    codeUnknownCommand,
			message: "unknown command",
			details: map[string]string{"command": name},
		}
	}
	if err != nil {
		return &failedCommand{command: req.Command, err: err}
	}
	c.JSON(http.StatusOK, result)
	return nil
}

// decodeData decodes a command's data object into v; absent data is an
// empty object, so required fields are reported by name. data is part of a
// body DecodeJSON has already checked, so it is valid UTF-8 without unpaired
// surrogate escapes.
func decodeData(data json.RawMessage, v any) error {
	if len(data) == 0 || string(data) == "null" {
		return nil
	}
	err := json.Unmarshal(data, v)
	var typeErr *json.UnmarshalTypeError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &typeErr) && typeErr.Field != "":
		return invalidFields(fieldProblem{Field: typeErr.Field, Code: "invalid_type", Message: typeErr.Field + " has the wrong type"})
	default:
		return httpapi.Wrap(err, http.StatusBadRequest, httpapi.CodeInvalidRequest, "data must be a JSON object")
	}
}

// fieldChecks collects every problem of a command's data, so a caller
// learns them all at once.
type fieldChecks []fieldProblem

// required notes a field that must not be empty.
func (f *fieldChecks) required(field, value string) {
	if value == "" {
		*f = append(*f, fieldProblem{Field: field, Code: "required", Message: field + " is required"})
	}
}

// userID notes a user ID (the app's external ID) that no user could have:
// such an ID could only fail deeper down, where the store refuses control
// characters outright.
func (f *fieldChecks) userID(field, value string) {
	if len(value) > maxExternalIDBytes || hasControl(value) {
		*f = append(*f, fieldProblem{Field: field, Code: "invalid", Message: field + " is not a valid user ID"})
	}
}

// origin notes an additionalAllowedOrigin that is not one of the app's own
// origins. PropelAuth lets a call widen the origins a ceremony accepts;
// passbridge keeps an app's origins in its configuration only, so the field
// is accepted for compatibility when it names one of them, and refused
// otherwise rather than silently ignored.
func (f *fieldChecks) origin(field string, value *string, app storage.App) {
	if value != nil && !slices.Contains(app.Origins, *value) {
		*f = append(*f, fieldProblem{Field: field, Code: "not_allowed", Message: fmt.Sprintf("%s must be one of the app's origins", field)})
	}
}

// err returns the collected problems as one error, or nil.
func (f fieldChecks) err() error {
	if len(f) == 0 {
		return nil
	}
	return invalidFields(f...)
}

// maxExternalIDBytes is the ceremony core's bound on external IDs.
const maxExternalIDBytes = 255

// hasControl reports whether s holds a control character, NUL included.
func hasControl(s string) bool {
	for _, r := range s {
		if unicode.IsControl(r) {
			return true
		}
	}
	return false
}
