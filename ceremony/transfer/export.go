package transfer

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"time"

	"github.com/google/uuid"

	"github.com/passbridge/passbridge/storage"
)

// exportPage is how many users an export reads at a time, with their
// devices in one more statement.
const exportPage = 1000

// Export writes every user of app with its devices to w, a header line
// first, users in the order they were created. It streams: memory does not
// grow with the number of users. A failure halfway leaves what was written.
func Export(ctx context.Context, st storage.Store, app storage.App, w io.Writer) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	enc := NewEncoder(bw)
	if err := enc.Header(app.RPID, time.Now()); err != nil {
		return err
	}
	// Cursor paging: users created or deleted during the export shift no
	// page, so none is written twice or left out for that.
	for after := ""; ; {
		page, err := st.ListUsersPage(ctx, app.ID, storage.UserQuery{Limit: exportPage, After: after})
		if err != nil {
			return fmt.Errorf("export: %w", err)
		}
		ids := make([]string, len(page.Items))
		for i, u := range page.Items {
			ids[i] = u.ID
		}
		devices, err := st.ListDevicesOfUsers(ctx, app.ID, ids)
		if err != nil {
			return fmt.Errorf("export: %w", err)
		}
		byUser := make(map[string][]storage.Device, len(page.Items))
		for _, d := range devices {
			byUser[d.UserID] = append(byUser[d.UserID], d)
		}
		for _, u := range page.Items {
			if err := enc.User(exportUser(u, byUser[u.ID])); err != nil {
				return err
			}
		}
		if page.NextCursor == "" {
			break
		}
		after = page.NextCursor
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	return nil
}

// exportUser is a stored user and its devices as an export line.
func exportUser(u storage.User, devices []storage.Device) User {
	out := User{
		ExternalID:  u.ExternalID,
		DisplayName: u.DisplayName,
		Status:      u.Status,
		UserHandle:  Binary(u.Handle),
		CreatedAt:   Time(u.CreatedAt),
		Devices:     make([]Device, len(devices)),
	}
	for i, d := range devices {
		out.Devices[i] = Device{
			CredID:          Binary(d.CredentialID),
			PublicKey:       Binary(d.PublicKey),
			SignCount:       d.SignCount,
			AAGUID:          aaguidText(d.AAGUID),
			Transports:      d.Transports,
			BackupEligible:  d.BackupEligible,
			BackedUp:        d.BackedUp,
			UserVerified:    d.UserVerified,
			AttestationType: d.AttestationType,
			FriendlyName:    d.FriendlyName,
			CreatedAt:       Time(d.CreatedAt),
			LastLoginAt:     OptionalTime(d.LastLoginAt),
			UsageCount:      d.UsageCount,
		}
	}
	return out
}

// aaguidText writes an AAGUID as a UUID; one that is not 16 bytes (a device
// stored without one) as the all-zero AAGUID, which means "not said".
func aaguidText(b []byte) string {
	id, err := uuid.FromBytes(b)
	if err != nil {
		return uuid.Nil.String()
	}
	return id.String()
}
