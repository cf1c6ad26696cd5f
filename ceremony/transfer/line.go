package transfer

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/go-webauthn/webauthn/protocol/webauthncose"
	"github.com/google/uuid"

	"github.com/passbridge/passbridge/ceremony"
	"github.com/passbridge/passbridge/storage"
)

// newHandleBytes is the size of the handle given to an imported user that
// comes without one (and without devices), as the ceremonies give new users.
const newHandleBytes = 32

// Generic device names, as the ceremonies give a device whose authenticator
// the AAGUID list does not know.
const (
	namePasskey     = "Passkey"
	nameSecurityKey = "Security key"
)

// record is a user line that passed every check, as the rows it would
// create; IDs are given when the rows are planned.
type record struct {
	line       int
	user       storage.User
	handleSet  bool // the line named the user's handle
	devices    []storage.Device
	externalID string
}

// decodeLine decodes one JSON object strictly: no unknown field, nothing
// after it, valid UTF-8 (encoding/json would replace invalid bytes
// silently).
func decodeLine(raw []byte, v any) error {
	if !utf8.Valid(raw) {
		return errors.New("the line is not valid UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonProblem(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errors.New("the line holds more than one JSON value")
	}
	return nil
}

// jsonProblem rewrites a decoding error for the person who wrote the file.
func jsonProblem(err error) error {
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	switch {
	case errors.As(err, &typeErr) && typeErr.Field != "":
		return fmt.Errorf("%s: a JSON %s where %s was expected", typeErr.Field, typeErr.Value, kindOf(typeErr.Type.Kind().String()))
	case errors.As(err, &typeErr):
		return fmt.Errorf("the line is a JSON %s, not an object", typeErr.Value)
	case errors.As(err, &syntaxErr), errors.Is(err, io.ErrUnexpectedEOF):
		return fmt.Errorf("the line is not JSON: %s", strings.TrimPrefix(err.Error(), "json: "))
	}
	return errors.New(strings.TrimPrefix(err.Error(), "json: "))
}

func kindOf(goKind string) string {
	switch goKind {
	case "string":
		return "a string"
	case "bool":
		return "true or false"
	case "slice":
		return "a list"
	case "struct":
		return "an object"
	case "uint32":
		return "a whole number from 0 to 4294967295"
	case "int64":
		return "a whole number"
	}
	return "another type"
}

// parseUser checks a user line and builds the rows it would create. It
// returns the problems found, every bad value named, and how many devices
// the line holds.
func (im *importer) parseUser(raw []byte, line int) (record, int, problems) {
	var u User
	if err := decodeLine(raw, &u); err != nil {
		return record{}, 0, problems{err.Error()}
	}
	var p problems
	rec := record{line: line, externalID: u.ExternalID}
	if err := checkExternalID(u.ExternalID); err != nil {
		p.add("%v", err)
	}
	name, err := checkText("display_name", u.DisplayName, false, maxDisplayNameRunes)
	if err != nil {
		p.add("%v", err)
	}
	if name == "" {
		name = u.ExternalID
	}
	status := u.Status
	switch status {
	case "":
		status = storage.UserActive
	case storage.UserActive, storage.UserInactive:
	default:
		p.add("status %q is neither active nor inactive", u.Status)
	}
	handle, err := decodeBinary("user_handle", u.UserHandle, maxUserHandleBytes)
	switch {
	case err != nil:
		p.add("%v", err)
	case handle == nil && len(u.Devices) > 0:
		p.add("user_handle is required with devices: authenticators return it when they sign in")
	case handle == nil:
		handle = storage.RandomBytes(newHandleBytes)
	default:
		rec.handleSet = true
	}
	created, err := parseTime("created_at", u.CreatedAt)
	if err != nil {
		p.add("%v", err)
	}
	if created.IsZero() {
		created = im.now
	}
	if len(u.Devices) > maxDevices {
		p.add("%d devices, more than %d", len(u.Devices), maxDevices)
		return rec, len(u.Devices), p
	}
	rec.user = storage.User{
		AppID: im.app.ID, ExternalID: u.ExternalID, Handle: handle, DisplayName: name, Status: status,
		CreatedAt: created, UpdatedAt: im.now,
	}
	seen := make(map[string]int)
	for i, d := range u.Devices {
		dev := im.parseDevice(d, fmt.Sprintf("devices[%d].", i), &p)
		if first, dup := seen[string(dev.CredentialID)]; dup && dev.CredentialID != nil {
			p.add("devices[%d].cred_id is the cred_id of devices[%d] too", i, first)
		}
		seen[string(dev.CredentialID)] = i
		// The user's counters are what its devices say of it.
		rec.user.LoginCount += dev.UsageCount
		if dev.LastLoginAt.After(rec.user.LastLoginAt) {
			rec.user.LastLoginAt = dev.LastLoginAt
		}
		rec.devices = append(rec.devices, dev)
	}
	return rec, len(u.Devices), p
}

// parseDevice checks a device and builds its row, adding what is wrong to p
// with prefix before each field name.
func (im *importer) parseDevice(d Device, prefix string, p *problems) storage.Device {
	field := func(name string) string { return prefix + name }
	credID, err := decodeBinary(field("cred_id"), d.CredID, maxCredentialIDBytes)
	if err != nil {
		p.add("%v", err)
	} else if credID == nil {
		p.add("%s is required", field("cred_id"))
	}
	key, err := decodeBinary(field("public_key"), d.PublicKey, maxPublicKeyBytes)
	switch {
	case err != nil:
		p.add("%v", err)
	case key == nil:
		p.add("%s is required", field("public_key"))
	default:
		// The key must be one an assertion can be verified with.
		if _, err := webauthncose.ParsePublicKey(key); err != nil {
			p.add("%s is not a COSE public key passbridge can verify with: %v", field("public_key"), err)
		}
	}
	aaguid := make([]byte, 16)
	if d.AAGUID != "" {
		id, err := uuid.Parse(d.AAGUID)
		if err != nil {
			p.add("%s %q is not a UUID", field("aaguid"), d.AAGUID)
		}
		aaguid = id[:]
	}
	if d.BackedUp && !d.BackupEligible {
		// WebAuthn L3 §6.1.3: only a backup-eligible credential can be backed up.
		p.add("%s is true while %s is false", field("backed_up"), field("backup_eligible"))
	}
	att, err := checkText(field("attestation_type"), d.AttestationType, false, maxAttestationType)
	if err != nil {
		p.add("%v", err)
	}
	name, err := checkText(field("friendly_name"), d.FriendlyName, false, maxFriendlyNameRunes)
	if err != nil {
		p.add("%v", err)
	}
	created, err := parseTime(field("created_at"), d.CreatedAt)
	if err != nil {
		p.add("%v", err)
	}
	if created.IsZero() {
		created = im.now
	}
	var lastLogin time.Time
	if d.LastLoginAt != nil {
		if lastLogin, err = parseTime(field("last_login_at"), *d.LastLoginAt); err != nil {
			p.add("%v", err)
		}
	}
	if d.UsageCount < 0 {
		p.add("%s is negative", field("usage_count"))
	}
	transports := ceremony.CleanTransports(d.Transports)
	attachment := attachmentOf(transports)
	if name == "" {
		name = im.deviceName(aaguid, d.BackupEligible, attachment)
	}
	return storage.Device{
		AppID: im.app.ID, CredentialID: credID, PublicKey: key, AttestationType: att, AAGUID: aaguid,
		Transports: transports, SignCount: d.SignCount, UserVerified: d.UserVerified,
		BackupEligible: d.BackupEligible, BackedUp: d.BackedUp, Attachment: attachment,
		FriendlyName: name, Type: deviceType(d.BackupEligible, attachment), UsageCount: d.UsageCount,
		CreatedAt: created, UpdatedAt: im.now, LastLoginAt: lastLogin,
	}
}

// attachmentOf infers how a credential's authenticator is attached from the
// transports it reported, which the format carries where attachment is not:
// only "internal" is a platform authenticator, only roaming transports a
// cross-platform one; a mix (or nothing) does not say.
func attachmentOf(transports []string) string {
	internal := slices.Contains(transports, "internal")
	roaming := slices.ContainsFunc(transports, func(t string) bool {
		return t == "usb" || t == "nfc" || t == "ble" || t == "smart-card"
	})
	switch {
	case internal && !roaming:
		return "platform"
	case roaming && !internal:
		return "cross-platform"
	}
	return ""
}

// deviceType classifies a device as the Flex API does: backup-eligible is
// a passkey, whatever holds it.
func deviceType(backupEligible bool, attachment string) string {
	switch {
	case backupEligible:
		return storage.DeviceTypePasskey
	case attachment == "platform":
		return storage.DeviceTypePlatform
	}
	return storage.DeviceTypeSecurityKey
}

// deviceName names a device that comes without a name as a registration
// would: its authenticator's name from the AAGUID list, else its kind.
func (im *importer) deviceName(aaguid []byte, backupEligible bool, attachment string) string {
	if im.names != nil {
		if info, ok := im.names.Lookup(aaguid); ok {
			return info.Name
		}
	}
	if deviceType(backupEligible, attachment) == storage.DeviceTypeSecurityKey {
		return nameSecurityKey
	}
	return namePasskey
}
