package oidc

import (
	"context"
	"errors"
	"log/slog"

	"github.com/zitadel/oidc/v3/pkg/oidc"

	"github.com/passbridge/passbridge/provider/httpapi"
	"github.com/passbridge/passbridge/storage"
)

// Errors handed to op are always fresh *oidc.Error values with fixed
// descriptions and no parent: op writes the description (and, on some
// paths, the text of a parent) to the client, and store or driver text must
// never get there. The cause is logged here instead.

// errTemporarilyUnavailable is the answer while the store cannot be reached.
func errTemporarilyUnavailable() *oidc.Error {
	return oidc.ErrServerError().WithDescription("the service is temporarily unavailable; try again")
}

// ErrUnmetAuthenticationRequirements is the OpenID Connect error (OpenID
// Connect Core Unmet Authentication Requirements 1.0) for a sign-in that
// could not reach the acr the relying party demands.
func ErrUnmetAuthenticationRequirements(description string) *oidc.Error {
	return &oidc.Error{ErrorType: "unmet_authentication_requirements", Description: description}
}

// translate turns err into an error op may show: a *oidc.Error of ours as
// it is, ErrNotFound as notFound, an unavailable store as server_error, and
// anything else as a server_error with a fixed text, logging the cause.
func (s *opStorage) translate(ctx context.Context, what string, err error, notFound func() *oidc.Error) error {
	var ours *oidc.Error
	switch {
	case err == nil:
		return nil
	case errors.As(err, &ours) && ours.Parent == nil:
		return ours
	case errors.Is(err, storage.ErrNotFound) && notFound != nil:
		return notFound()
	case errors.Is(err, storage.ErrUnavailable):
		markOutage(ctx)
		s.log.WarnContext(ctx, what+": store unavailable", "err", err)
		return errTemporarilyUnavailable()
	}
	s.log.ErrorContext(ctx, what, "err", err)
	return oidc.ErrServerError().WithDescription("internal error")
}

// logValue keeps secrets out of an auth request's log lines.
func authRequestLog(r storage.AuthRequest) slog.Value {
	return slog.GroupValue(
		slog.String("id", r.ID),
		slog.String("client_id", r.ClientID),
		slog.String("redirect_uri", r.RedirectURI),
		slog.Bool("done", r.Done),
	)
}

// plausible: see httpapi.Plausible.
func plausible(s string, max int) bool { return httpapi.Plausible(s, max) }
