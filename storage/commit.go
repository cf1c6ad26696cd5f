package storage

import (
	"context"
	"fmt"
	"time"
)

// CeremonyCommit is everything a verified ceremony writes, committed all at
// once or not at all: one statement on PostgreSQL, one transaction on
// SQLite. The verification it follows read the rows it names; each write
// is conditional on the row still being as the ceremony needs it, and the
// first that is not names itself in a *CommitError.
type CeremonyCommit struct {
	AppID string
	Now   time.Time
	// HandshakeID is consumed: it must exist and expire after Now.
	HandshakeID string
	// TransactionID, when set, is completed: it must be pending and
	// expire after Now.
	TransactionID string
	// UserID must be active. The user's row is held until the commit, so
	// that of the ceremony and a deactivation one lands wholly first.
	UserID string
	// RecordLogin adds one to the user's LoginCount and sets LastLoginAt
	// to Now (an authentication).
	RecordLogin bool
	// Use, when set, records an authentication on a device of the user.
	Use *DeviceUse
	// Device, when set, is stored (a registration); a credential ID the
	// app already has fails with CommitNewDevice.
	Device *Device
	// Nonce, when set, is stored.
	Nonce *Nonce
	// Audit, when set, is appended.
	Audit *AuditEvent
}

// DeviceUse is an authentication's change to a device, written as one
// conditional update of the device as it is at the commit, so that
// concurrent uses of one device (a synced passkey signing in on two
// browsers) all count:
//
//   - SignCount becomes Counter if Counter is greater; a Counter that does
//     not advance it (unless both are 0, as synced passkeys report) sets
//     CloneWarning, or, with RejectRegression, refuses the commit
//     (WebAuthn L3 §6.1.1);
//   - CloneWarning is also set when the ceremony saw a regression itself;
//   - UserVerified is latched; BackupEligible may go from false to true,
//     never back (refused); BackedUp and Type are the ceremony's;
//   - UsageCount goes up by one; UpdatedAt and LastLoginAt become Now.
//
// A refused device (CommitDevice) is gone, or its counter or backup
// eligibility changed since the ceremony read it: the ceremony reads it
// again to say which.
type DeviceUse struct {
	DeviceID         string
	Counter          uint32
	RejectRegression bool
	CloneWarning     bool
	UserVerified     bool
	BackupEligible   bool
	BackedUp         bool
	Type             string
}

// The parts of a CeremonyCommit, as a CommitError names them.
const (
	CommitHandshake   = "handshake"   // gone, expired or consumed by another finish
	CommitTransaction = "transaction" // gone, expired or completed
	CommitUser        = "user"        // gone or not active
	CommitDevice      = "device"      // gone, its counter regressed (RejectRegression) or its backup eligibility would go down
	CommitNewDevice   = "new_device"  // the credential ID is taken
)

// CommitError reports the part of a CeremonyCommit whose row was not as
// required; nothing was written.
type CommitError struct {
	Part string
}

func (e *CommitError) Error() string {
	return fmt.Sprintf("commit ceremony: %s gone or changed", e.Part)
}

// CommitStore commits ceremonies.
type CommitStore interface {
	// CommitCeremony writes c and returns the user and the device as the
	// commit left them (the device: c.Use's or c.Device's). Called inside
	// InTx it joins that transaction, and a refusal undoes only its own
	// parts.
	CommitCeremony(ctx context.Context, c CeremonyCommit) (User, Device, error)
}
