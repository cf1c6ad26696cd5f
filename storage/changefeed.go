package storage

import "context"

// Kinds of stored rows a Change names.
const (
	ChangeApp    = "app"
	ChangeAPIKey = "api_key"
	ChangeClient = "client"
)

// Change says that a stored app, API key or client changed (was created,
// updated or deleted). The zero Change says that anything may have changed:
// the feed lost its connection and may have missed changes.
type Change struct {
	// Kind is ChangeApp, ChangeAPIKey or ChangeClient; "" means every kind.
	Kind string
	// ID is the row's ID (an app's, a key's, a client's); "" means every
	// row of Kind.
	ID string
	// Hash is an API key's digest (APIKey.Hash), by which keys are looked up.
	Hash []byte
}

// Everything reports whether c says that anything may have changed.
func (c Change) Everything() bool { return c.Kind == "" }

// ChangeFeed is an optional interface of engines that report changes made
// by anyone (this process, another instance sharing the database, the CLI,
// hand-written SQL) to apps, API keys and clients, so that a cache in front
// of the engine forgets them. Touching an API key (TouchAPIKey) is no change.
type ChangeFeed interface {
	// Changes returns once the feed is listening: every change committed
	// after it returns is reported, in commit order, shortly after its
	// commit. When ctx ends the feed stops and the channel is closed. When
	// the feed loses its connection, it reports the zero Change and keeps
	// trying to reconnect, and reports the zero Change again once back. An
	// engine that cannot report changes returns an error matching
	// errors.ErrUnsupported.
	Changes(ctx context.Context) (<-chan Change, error)
}
