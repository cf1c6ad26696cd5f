package ceremony

import (
	"context"
	"fmt"

	"github.com/passbridge/passbridge/storage"
)

// Audit event types this package records.
const (
	EventUserCreated      = "user.created"
	EventDeviceRegistered = "device.registered"
	EventDeviceRenamed    = "device.renamed"
	EventDeviceRevoked    = "device.revoked"
)

// audit appends an event through st, which is the store transaction of the
// change it records, so the event commits with it or not at all.
func (s *Service) audit(ctx context.Context, st storage.Store, app storage.App, typ, who, userID, deviceID string, detail map[string]string) error {
	if err := st.AppendAuditEvent(ctx, s.auditEvent(app, typ, who, userID, deviceID, detail)); err != nil {
		return fmt.Errorf("audit %s: %w", typ, err)
	}
	return nil
}

// auditEvent builds an event of app, now.
func (s *Service) auditEvent(app storage.App, typ, who, userID, deviceID string, detail map[string]string) storage.AuditEvent {
	return storage.AuditEvent{
		ID:        storage.NewID(),
		AppID:     app.ID,
		Type:      typ,
		Actor:     who,
		UserID:    userID,
		DeviceID:  deviceID,
		Detail:    detail,
		CreatedAt: s.clock(),
	}
}
