package sqlstore

import (
	"context"
	"fmt"

	"github.com/passbridge/passbridge/storage"
)

const deviceColumns = `id, app_id, user_id, credential_id, public_key, attestation_type, attestation_format,
	attestation, aaguid, transports, sign_count, clone_warning, user_verified, backup_eligible, backed_up,
	attachment, friendly_name, type, usage_count, created_at, updated_at, last_login_at`

const (
	qDeviceInsert = `INSERT INTO devices (` + deviceColumns + `)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`
	qDeviceGet    = `SELECT ` + deviceColumns + ` FROM devices WHERE app_id = ? AND id = ?`
	qDeviceByCred = `SELECT ` + deviceColumns + ` FROM devices WHERE app_id = ? AND credential_id = ?`
	qDeviceList   = `SELECT ` + deviceColumns + ` FROM devices WHERE app_id = ? AND user_id = ?
	ORDER BY created_at, id`
	qDeviceUpdate = `UPDATE devices SET public_key = ?, attestation_type = ?, attestation_format = ?,
	attestation = ?, aaguid = ?, transports = ?, sign_count = ?, clone_warning = ?, user_verified = ?,
	backup_eligible = ?, backed_up = ?, attachment = ?, friendly_name = ?, type = ?, usage_count = ?,
	updated_at = ?, last_login_at = ? WHERE app_id = ? AND id = ?`
	qDeviceDelete = `DELETE FROM devices WHERE app_id = ? AND id = ?`
)

type deviceRow struct {
	ID                string   `db:"id"`
	AppID             string   `db:"app_id"`
	UserID            string   `db:"user_id"`
	CredentialID      []byte   `db:"credential_id"`
	PublicKey         []byte   `db:"public_key"`
	AttestationType   string   `db:"attestation_type"`
	AttestationFormat string   `db:"attestation_format"`
	Attestation       []byte   `db:"attestation"`
	AAGUID            []byte   `db:"aaguid"`
	Transports        string   `db:"transports"`
	SignCount         int64    `db:"sign_count"`
	CloneWarning      bool     `db:"clone_warning"`
	UserVerified      bool     `db:"user_verified"`
	BackupEligible    bool     `db:"backup_eligible"`
	BackedUp          bool     `db:"backed_up"`
	Attachment        string   `db:"attachment"`
	FriendlyName      string   `db:"friendly_name"`
	Type              string   `db:"type"`
	UsageCount        int64    `db:"usage_count"`
	CreatedAt         nullTime `db:"created_at"`
	UpdatedAt         nullTime `db:"updated_at"`
	LastLoginAt       nullTime `db:"last_login_at"`
}

func (r *deviceRow) device() (storage.Device, error) {
	transports, err := decodeList("transports", r.Transports)
	if err != nil {
		return storage.Device{}, err
	}
	return storage.Device{
		ID: r.ID, AppID: r.AppID, UserID: r.UserID, CredentialID: bytesOut(r.CredentialID),
		PublicKey: bytesOut(r.PublicKey), AttestationType: r.AttestationType,
		AttestationFormat: r.AttestationFormat, Attestation: bytesOut(r.Attestation),
		AAGUID: bytesOut(r.AAGUID), Transports: transports, SignCount: uint32(r.SignCount),
		CloneWarning: r.CloneWarning, UserVerified: r.UserVerified, BackupEligible: r.BackupEligible,
		BackedUp: r.BackedUp, Attachment: r.Attachment, FriendlyName: r.FriendlyName, Type: r.Type,
		UsageCount: r.UsageCount, CreatedAt: r.CreatedAt.t, UpdatedAt: r.UpdatedAt.t,
		LastLoginAt: r.LastLoginAt.t,
	}, nil
}

// CreateDevice stores a new device of an existing user; its credential ID is
// unique per app. A user that does not exist is ErrNotFound.
func (s *Store) CreateDevice(ctx context.Context, d storage.Device) error {
	err := s.insert(ctx, qDeviceInsert, d.ID, d.AppID, d.UserID, bytesArg(d.CredentialID),
		bytesArg(d.PublicKey), d.AttestationType, d.AttestationFormat, bytesArg(d.Attestation),
		bytesArg(d.AAGUID), jsonText(d.Transports), int64(d.SignCount), d.CloneWarning, d.UserVerified,
		d.BackupEligible, d.BackedUp, d.Attachment, d.FriendlyName, d.Type, d.UsageCount,
		timeArg(d.CreatedAt), timeArg(d.UpdatedAt), timeArg(d.LastLoginAt))
	if err != nil {
		return fmt.Errorf("create device: %w", err)
	}
	return nil
}

// GetDevice returns an app's device by id.
func (s *Store) GetDevice(ctx context.Context, appID, id string) (storage.Device, error) {
	d, err := s.getDevice(ctx, qDeviceGet, appID, id)
	if err != nil {
		return storage.Device{}, fmt.Errorf("get device: %w", err)
	}
	return d, nil
}

// GetDeviceByCredentialID returns an app's device by raw credential ID.
func (s *Store) GetDeviceByCredentialID(ctx context.Context, appID string, credentialID []byte) (storage.Device, error) {
	d, err := s.getDevice(ctx, qDeviceByCred, appID, credentialID)
	if err != nil {
		return storage.Device{}, fmt.Errorf("get device by credential id: %w", err)
	}
	return d, nil
}

func (s *Store) getDevice(ctx context.Context, query string, args ...any) (storage.Device, error) {
	var r deviceRow
	if err := s.get(ctx, &r, query, args...); err != nil {
		return storage.Device{}, err
	}
	return r.device()
}

// ListDevices returns a user's devices, ordered by CreatedAt, then ID.
func (s *Store) ListDevices(ctx context.Context, appID, userID string) ([]storage.Device, error) {
	var rows []deviceRow
	if err := s.list(ctx, &rows, qDeviceList, appID, userID); err != nil {
		return nil, fmt.Errorf("list devices: %w", err)
	}
	devices := make([]storage.Device, len(rows))
	for i := range rows {
		d, err := rows[i].device()
		if err != nil {
			return nil, fmt.Errorf("list devices: %w", err)
		}
		devices[i] = d
	}
	return devices, nil
}

// UpdateDevice changes a device through fn, with the row locked, so that
// concurrent sign-count updates never lose one. ID, AppID, UserID,
// CredentialID and CreatedAt cannot change.
func (s *Store) UpdateDevice(ctx context.Context, appID, id string, fn func(storage.Device) (storage.Device, error)) (storage.Device, error) {
	read := func(tx *Store, lock string) (storage.Device, error) { return tx.getDevice(ctx, lock, appID, id) }
	write := func(tx *Store, cur, next storage.Device) (storage.Device, error) {
		next.ID, next.AppID, next.UserID, next.CreatedAt = cur.ID, cur.AppID, cur.UserID, cur.CreatedAt
		next.CredentialID = cur.CredentialID
		next.PublicKey, next.Attestation, next.AAGUID = bytesOut(next.PublicKey), bytesOut(next.Attestation), bytesOut(next.AAGUID)
		next.UpdatedAt, next.LastLoginAt = utc(next.UpdatedAt), utc(next.LastLoginAt)
		_, err := tx.exec(ctx, qDeviceUpdate, bytesArg(next.PublicKey), next.AttestationType,
			next.AttestationFormat, bytesArg(next.Attestation), bytesArg(next.AAGUID), jsonText(next.Transports),
			int64(next.SignCount), next.CloneWarning, next.UserVerified, next.BackupEligible, next.BackedUp,
			next.Attachment, next.FriendlyName, next.Type, next.UsageCount, timeArg(next.UpdatedAt),
			timeArg(next.LastLoginAt), appID, id)
		return next, err
	}
	return updateRow(ctx, s, "update device", false, qDeviceGet, qDeviceUpdate, read, fn, write)
}

// DeleteDevice deletes a device with the sessions, tokens and nonces it
// authenticated.
func (s *Store) DeleteDevice(ctx context.Context, appID, id string) error {
	if err := s.execOne(ctx, qDeviceDelete, appID, id); err != nil {
		return fmt.Errorf("delete device: %w", err)
	}
	return nil
}

// The columns of a device joined to its user, where a user without devices
// gives one row of NULLs: COALESCE turns them into values the device row
// scans (1 = 0 is false in both dialects), and an empty id marks it.
const joinedDeviceColumns = `COALESCE(d.id, '') AS "d.id", COALESCE(d.app_id, '') AS "d.app_id",
	COALESCE(d.user_id, '') AS "d.user_id", d.credential_id AS "d.credential_id",
	d.public_key AS "d.public_key", COALESCE(d.attestation_type, '') AS "d.attestation_type",
	COALESCE(d.attestation_format, '') AS "d.attestation_format", d.attestation AS "d.attestation",
	d.aaguid AS "d.aaguid", COALESCE(d.transports, '') AS "d.transports",
	COALESCE(d.sign_count, 0) AS "d.sign_count", COALESCE(d.clone_warning, 1 = 0) AS "d.clone_warning",
	COALESCE(d.user_verified, 1 = 0) AS "d.user_verified", COALESCE(d.backup_eligible, 1 = 0) AS "d.backup_eligible",
	COALESCE(d.backed_up, 1 = 0) AS "d.backed_up", COALESCE(d.attachment, '') AS "d.attachment",
	COALESCE(d.friendly_name, '') AS "d.friendly_name", COALESCE(d.type, '') AS "d.type",
	COALESCE(d.usage_count, 0) AS "d.usage_count", d.created_at AS "d.created_at",
	d.updated_at AS "d.updated_at", d.last_login_at AS "d.last_login_at"`

var (
	qUserWithDevices = `SELECT ` + joinedUserColumns + `, ` + joinedDeviceColumns + `
	FROM users u LEFT JOIN devices d ON d.app_id = u.app_id AND d.user_id = u.id
	WHERE u.app_id = ? AND u.id = ? ORDER BY d.created_at, d.id`
	qUserByExtWithDevices = `SELECT ` + joinedUserColumns + `, ` + joinedDeviceColumns + `
	FROM users u LEFT JOIN devices d ON d.app_id = u.app_id AND d.user_id = u.id
	WHERE u.app_id = ? AND u.external_id = ? ORDER BY d.created_at, d.id`
)

// GetUserWithDevices returns an app's user by id and its devices, ordered
// as ListDevices orders them, in one read.
func (s *Store) GetUserWithDevices(ctx context.Context, appID, id string) (storage.User, []storage.Device, error) {
	u, ds, err := s.userWithDevices(ctx, qUserWithDevices, appID, id)
	if err != nil {
		return storage.User{}, nil, fmt.Errorf("get user with devices: %w", err)
	}
	return u, ds, nil
}

// GetUserByExternalIDWithDevices is GetUserWithDevices by external ID.
func (s *Store) GetUserByExternalIDWithDevices(ctx context.Context, appID, externalID string) (storage.User, []storage.Device, error) {
	u, ds, err := s.userWithDevices(ctx, qUserByExtWithDevices, appID, externalID)
	if err != nil {
		return storage.User{}, nil, fmt.Errorf("get user by external id with devices: %w", err)
	}
	return u, ds, nil
}

func (s *Store) userWithDevices(ctx context.Context, query, appID, key string) (storage.User, []storage.Device, error) {
	var rows []commitRow
	if err := s.list(ctx, &rows, query, appID, key); err != nil {
		return storage.User{}, nil, err
	}
	if len(rows) == 0 {
		return storage.User{}, nil, storage.ErrNotFound
	}
	devices, err := joinedDevices(rows, func(r *commitRow) *commitRow { return r })
	if err != nil {
		return storage.User{}, nil, err
	}
	return rows[0].U.user(), devices, nil
}

// joinedDevices decodes the devices of a user read with them, one row each
// (a row without a device: a user without devices); row finds a row's
// user and device.
func joinedDevices[R any](rows []R, row func(*R) *commitRow) ([]storage.Device, error) {
	devices := make([]storage.Device, 0, len(rows))
	for i := range rows {
		r := row(&rows[i])
		if r.D.ID == "" {
			continue
		}
		d, err := r.D.device()
		if err != nil {
			return nil, err
		}
		devices = append(devices, d)
	}
	return devices, nil
}

// qDeviceWithUser reads a device by credential ID with its user.
var qDeviceWithUser = `SELECT ` + joinedUserColumns + `, ` + aliased("d", deviceColumns) + `
	FROM devices d JOIN users u ON u.app_id = d.app_id AND u.id = d.user_id
	WHERE d.app_id = ? AND d.credential_id = ?`

// GetDeviceWithUser returns an app's device by raw credential ID with its
// user, in one read.
func (s *Store) GetDeviceWithUser(ctx context.Context, appID string, credentialID []byte) (storage.Device, storage.User, error) {
	var r commitRow
	if err := s.get(ctx, &r, qDeviceWithUser, appID, credentialID); err != nil {
		return storage.Device{}, storage.User{}, fmt.Errorf("get device with user: %w", err)
	}
	d, err := r.D.device()
	if err != nil {
		return storage.Device{}, storage.User{}, fmt.Errorf("get device with user: %w", err)
	}
	return d, r.U.user(), nil
}
