package storage

import "context"

// Batch is what CreateBatch writes: new users, new devices (of those users
// or of existing ones) and the audit events that record them.
type Batch struct {
	Users   []User
	Devices []Device
	Events  []AuditEvent
}

// BulkStore reads and writes many users and devices in a few statements, for
// imports and exports of whole apps. A per-row loop over UserStore and
// DeviceStore does the same at one round trip per row.
type BulkStore interface {
	// FindUsers returns the app's users whose external ID is one of
	// externalIDs or whose handle is one of handles, each once, in no
	// particular order. Values that match nothing are left out.
	FindUsers(ctx context.Context, appID string, externalIDs []string, handles [][]byte) ([]User, error)
	// FindDevices returns the app's devices whose credential ID is one of
	// credentialIDs, in no particular order.
	FindDevices(ctx context.Context, appID string, credentialIDs [][]byte) ([]Device, error)
	// ListDevicesOfUsers returns the devices of the app's users userIDs,
	// ordered by user (in the order of userIDs), then CreatedAt, then ID.
	ListDevicesOfUsers(ctx context.Context, appID string, userIDs []string) ([]Device, error)
	// CreateBatch stores every row of b, or none: a row that breaks a
	// uniqueness constraint makes it ErrAlreadyExists, a device of a user
	// that does not exist ErrNotFound. Inside InTx, a failed batch leaves
	// the transaction usable.
	CreateBatch(ctx context.Context, b Batch) error
	// RefreshStatistics has the engine update what its query planner knows
	// of users and devices. After CreateBatch grew them a lot (a first
	// import into a new database), plans made from what the planner knew
	// before can scan a large table where an index would do.
	RefreshStatistics(ctx context.Context) error
}
