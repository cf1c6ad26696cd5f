package ceremony

import (
	"errors"
	"testing"
	"time"

	"github.com/go-webauthn/webauthn/protocol"

	"github.com/passbridge/passbridge/storage"
)

// recordUse runs on the locked row, which may have changed since the
// assertion was verified: a racing ceremony may have upgraded the device to
// backup-eligible. A device-bound assertion is then refused there too.
func TestRecordUseRefusesBackupEligibilityDowngrade(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	deviceBound := asserted{flags: protocol.FlagUserPresent | protocol.FlagUserVerified}
	synced := asserted{flags: protocol.FlagUserPresent | protocol.FlagUserVerified | protocol.FlagBackupEligible}

	upgraded := storage.Device{BackupEligible: true, Type: storage.DeviceTypePasskey, Attachment: "platform"}
	_, err := recordUse(upgraded, deviceBound, true, now)
	if CodeOf(err) != CodeVerificationFailed {
		t.Fatalf("device-bound assertion on a synced row: %v, want %s", err, CodeVerificationFailed)
	}

	bound := storage.Device{Attachment: "platform", Type: storage.DeviceTypePlatform}
	d, err := recordUse(bound, synced, true, now)
	if err != nil || !d.BackupEligible || d.Type != storage.DeviceTypePasskey || d.UsageCount != 1 {
		t.Fatalf("upgrade: %+v, %v", d, err)
	}
	d, err = recordUse(bound, deviceBound, true, now)
	if err != nil || d.BackupEligible || errors.Is(err, ErrVerificationFailed) {
		t.Fatalf("device-bound stays device-bound: %+v, %v", d, err)
	}
}
