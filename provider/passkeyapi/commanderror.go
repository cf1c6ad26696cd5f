package passkeyapi

import (
	"errors"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/passbridge/passbridge/ceremony"
	"github.com/passbridge/passbridge/provider/httpapi"
	"github.com/passbridge/passbridge/storage"
)

// Codes of the command form's own refusals, beside those of httpapi and the
// ceremony core.
const (
	codeInvalidFields  = "invalid_fields"
	codeUnknownCommand = "unknown_command"
)

// commandErrorTable maps an error code, for one command or for any (""), to
// the command form's status and PropelAuth-style type. The first matching
// row wins, so command-specific rows come before the general one. The names
// are those PropelAuth's client libraries know where it has one.
var commandErrorTable = []struct {
	command string
	code    string
	status  int
	typ     string
}{
	{"", codeInvalidFields, http.StatusBadRequest, "InvalidRequestFields"},
	{"", codeUnknownCommand, http.StatusBadRequest, "UnknownCommand"},
	{"", httpapi.CodeInvalidRequest, http.StatusBadRequest, "BadRequest"},
	{"", httpapi.CodeRequestTooLarge, http.StatusRequestEntityTooLarge, "RequestTooLarge"},
	{"", httpapi.CodeInvalidAccessToken, http.StatusUnauthorized, "Unauthorized"},
	{"", httpapi.CodeAppNotFound, http.StatusNotFound, "AppNotFound"},
	{"", ceremony.CodeUserNotFound, http.StatusNotFound, "UserNotFound"},
	{"", ceremony.CodeDeviceNotFound, http.StatusNotFound, "PasskeyNotFound"},
	{"FinishPasskeyRegistration", ceremony.CodeHandshakeNotFound, http.StatusNotFound, "NoRegistrationChallengeFound"},
	{"FinishPasskeyAuthentication", ceremony.CodeHandshakeNotFound, http.StatusNotFound, "NoAuthenticationChallengeFound"},
	{"", ceremony.CodeHandshakeNotFound, http.StatusNotFound, "ChallengeNotFound"},
	{"", ceremony.CodeTransactionNotFound, http.StatusNotFound, "TransactionNotFound"},
	{"", ceremony.CodeTransactionExpired, http.StatusGone, "TransactionExpired"},
	{"", ceremony.CodeUserHasNoPasskeys, http.StatusConflict, "UserHasNoPasskeys"},
	{"", ceremony.CodeCredentialRegistered, http.StatusConflict, "PasskeyForUserAlreadyExists"},
	{"", ceremony.CodeCannotCreateTransaction, http.StatusForbidden, "Forbidden"},
	{"", ceremony.CodeUserInactive, http.StatusForbidden, "UserInactive"},
	{"", ceremony.CodeInvalidNonce, http.StatusUnauthorized, "InvalidNonce"},
	{"", ceremony.CodeVerificationFailed, http.StatusUnprocessableEntity, "VerificationFailed"},
	{"", httpapi.CodeRateLimited, http.StatusTooManyRequests, "RateLimited"},
	{"", httpapi.CodeStoreUnavailable, http.StatusServiceUnavailable, "ServiceUnavailable"},
	{"", httpapi.CodeInternal, http.StatusInternalServerError, "UnexpectedError"},
}

// commandStatus looks up the status and type of code for command. A code
// the table does not know is still a client's fault when it comes from the
// ceremony core (a 400, named after the code); otherwise it is unexpected.
func commandStatus(command, code string, clientCaused bool) (int, string) {
	for _, row := range commandErrorTable {
		if row.code == code && (row.command == "" || row.command == command) {
			return row.status, row.typ
		}
	}
	if clientCaused {
		return http.StatusBadRequest, pascalCase(code)
	}
	return http.StatusInternalServerError, "UnexpectedError"
}

// commandErrorBody is the command form's error shape.
type commandErrorBody struct {
	Type    string `json:"type"`
	Details any    `json:"details"`
}

// commandError is a refusal of the command form itself, with details in
// PropelAuth's shape.
type commandError struct {
	code    string
	message string // for the log
	details any
}

func (e *commandError) Error() string { return e.code + ": " + e.message }

// fieldProblem is one rejected field of a command's data.
type fieldProblem struct {
	Field   string `json:"field"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

type fieldsDetails struct {
	Fields []fieldProblem `json:"fields"`
}

// invalidFields refuses a command for what is wrong with its data's fields.
func invalidFields(problems ...fieldProblem) error {
	return &commandError{code: codeInvalidFields, message: problems[0].Message, details: fieldsDetails{Fields: problems}}
}

// messageDetails carries a client-safe explanation.
type messageDetails struct {
	Message string `json:"message"`
}

// failedCommand ties an error to the command that failed, for the
// command-specific rows of the table.
type failedCommand struct {
	command string
	err     error
}

func (e *failedCommand) Error() string { return e.command + ": " + e.err.Error() }
func (e *failedCommand) Unwrap() error { return e.err }

// commandErrors writes whatever failed in a run-command request, from app
// lookup to the command itself, as {"type", "details"}. It takes the error
// off the request so httpapi's writer does not answer it again, and logs it
// as that writer would: server failures with their cause, the rest at debug.
func (a *API) commandErrors(c *gin.Context) {
	c.Next()
	if len(c.Errors) == 0 || c.Writer.Written() {
		return
	}
	err := c.Errors.Last().Err
	c.Errors = c.Errors[:0]

	var fc *failedCommand
	command := ""
	if errors.As(err, &fc) {
		command = fc.command
	}
	code, message, details, clientCaused := classify(err)
	status, typ := commandStatus(command, code, clientCaused)
	log := a.logger(c)
	if status >= 500 {
		log.Error("command failed", "command", command, "status", status, "type", typ, "err", err)
		details = nil
	} else {
		log.Debug("command refused", "command", command, "status", status, "type", typ, "err", err)
		if details == nil {
			details = messageDetails{Message: message}
		}
	}
	c.AbortWithStatusJSON(status, commandErrorBody{Type: typ, Details: details})
}

// classify reads an error's code and client-safe message the way httpapi's
// error writer does: a client error (4xx) wins over a store outage further
// down the chain, and anything unknown hides its cause.
func classify(err error) (code, message string, details any, clientCaused bool) {
	var ce *commandError
	if errors.As(err, &ce) {
		return ce.code, ce.message, ce.details, true
	}
	var he *httpapi.Error
	if errors.As(err, &he) && he.Status >= 400 && he.Status < 500 {
		return he.Code, he.Message, nil, true
	}
	var cerr *ceremony.Error
	if errors.As(err, &cerr) {
		return cerr.Code, cerr.Message, nil, true
	}
	if errors.Is(err, storage.ErrUnavailable) {
		return httpapi.CodeStoreUnavailable, "", nil, false
	}
	return httpapi.CodeInternal, "", nil, false
}

// pascalCase turns a snake_case code into a type name: user_inactive →
// UserInactive.
func pascalCase(code string) string {
	var b strings.Builder
	for _, part := range strings.Split(code, "_") {
		if part == "" {
			continue
		}
		b.WriteString(strings.ToUpper(part[:1]))
		b.WriteString(part[1:])
	}
	if b.Len() == 0 {
		return "BadRequest"
	}
	return b.String()
}
