package importsrc

import (
	"encoding/base64"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/passbridge/passbridge/ceremony/transfer"
)

// CSV is the name of the CSV reader.
const CSV = "csv"

// CSV fields: what a column may hold. A row is one passkey; rows of one
// external ID are one user, whose user fields come from its first row.
const (
	FieldExternalID      = "external_id"
	FieldUserHandle      = "user_handle"
	FieldDisplayName     = "display_name"
	FieldStatus          = "status"
	FieldUserCreatedAt   = "user_created_at"
	FieldCredID          = "cred_id"
	FieldPublicKey       = "public_key"
	FieldSignCount       = "sign_count"
	FieldAAGUID          = "aaguid"
	FieldTransports      = "transports"
	FieldBackupEligible  = "backup_eligible"
	FieldBackedUp        = "backed_up"
	FieldUserVerified    = "user_verified"
	FieldAttestationType = "attestation_type"
	FieldFriendlyName    = "friendly_name"
	FieldCreatedAt       = "created_at"
	FieldLastLoginAt     = "last_login_at"
	FieldUsageCount      = "usage_count"
)

// csvFields lists the fields; the binary ones take an encoding.
var (
	csvFields = []string{FieldExternalID, FieldUserHandle, FieldDisplayName, FieldStatus, FieldUserCreatedAt,
		FieldCredID, FieldPublicKey, FieldSignCount, FieldAAGUID, FieldTransports, FieldBackupEligible,
		FieldBackedUp, FieldUserVerified, FieldAttestationType, FieldFriendlyName, FieldCreatedAt,
		FieldLastLoginAt, FieldUsageCount}
	binaryFields = []string{FieldUserHandle, FieldCredID, FieldPublicKey}
	// requiredFields must have a column.
	requiredFields = []string{FieldExternalID, FieldCredID, FieldPublicKey}
)

// Encodings of binary fields.
const (
	EncodingBase64 = "base64" // base64url or standard base64, padded or not (the default)
	EncodingHex    = "hex"
	EncodingText   = "text" // the value's UTF-8 bytes, as servers that use a user ID as handle have it
)

// CSVMapping says which column holds each field, and how binary fields are
// encoded.
type CSVMapping struct {
	columns   map[string]string // field → column header
	encodings map[string]string // binary field → encoding
}

// ParseCSVMapping reads --csv-map values: FIELD=COLUMN[:ENCODING], each
// value one or more, comma-separated. Every problem is reported at once.
func ParseCSVMapping(specs []string) (CSVMapping, error) {
	m := CSVMapping{columns: map[string]string{}, encodings: map[string]string{}}
	var errs []error
	for _, spec := range specs {
		for item := range strings.SplitSeq(spec, ",") {
			item = strings.TrimSpace(item)
			if item == "" {
				continue
			}
			field, column, ok := strings.Cut(item, "=")
			field = strings.TrimSpace(field)
			if !ok || field == "" || strings.TrimSpace(column) == "" {
				errs = append(errs, fmt.Errorf("--csv-map %q: want FIELD=COLUMN[:ENCODING]", item))
				continue
			}
			if !slices.Contains(csvFields, field) {
				errs = append(errs, fmt.Errorf("--csv-map %q: no field %q", item, field))
				continue
			}
			if _, dup := m.columns[field]; dup {
				errs = append(errs, fmt.Errorf("--csv-map %q: field %s is mapped twice", item, field))
				continue
			}
			if col, enc, ok := strings.Cut(column, ":"); ok && slices.Contains(binaryFields, field) {
				switch enc {
				case EncodingBase64, EncodingHex, EncodingText:
					m.encodings[field] = enc
				default:
					errs = append(errs, fmt.Errorf("--csv-map %q: encoding %q is not base64, hex or text", item, enc))
					continue
				}
				column = col
			}
			m.columns[field] = strings.TrimSpace(column)
		}
	}
	return m, errors.Join(errs...)
}

// ReadCSV reads a CSV file whose first row names its columns, one passkey a
// row. Rows of one external ID make one user. A user with a number or flag
// that does not parse is Rejected; a binary value or time that does not
// parse goes into the export as it is, for the import to refuse its line
// naming it. A file without the columns the mapping needs, or with a row of
// too few or too many cells, is refused whole.
func ReadCSV(r io.Reader, m CSVMapping) (*Source, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1 // checked below, with the line number
	cr.TrimLeadingSpace = true
	header, err := cr.Read()
	if err != nil {
		return nil, errorf(CSV, "read the header row: %v", err)
	}
	index := make(map[string]int)
	for i, h := range header {
		h = strings.TrimPrefix(strings.TrimSpace(h), "\ufeff") // a byte order mark some spreadsheets write
		if _, dup := index[h]; !dup {
			index[h] = i
		}
	}
	col := make(map[string]int) // field → column index
	var missing []string
	for _, f := range csvFields {
		name, mapped := m.columns[f]
		if !mapped {
			name = f
		}
		i, ok := index[name]
		switch {
		case ok:
			col[f] = i
		case mapped || slices.Contains(requiredFields, f):
			missing = append(missing, fmt.Sprintf("%s (column %q)", f, name))
		}
	}
	if len(missing) > 0 {
		return nil, errorf(CSV, "the header row %q has no column for %s; map them with --csv-map", strings.Join(header, ","), strings.Join(missing, ", "))
	}
	var (
		users    []transfer.User
		byExt    = make(map[string]int) // external ID → index in users
		lines    [][]string             // of each user's rows
		problems [][]string             // of each user's rows
	)
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, errorf(CSV, "%v", err)
		}
		line, _ := cr.FieldPos(0)
		if len(rec) != len(header) {
			return nil, errorf(CSV, "line %d has %d cells, the header row %d", line, len(rec), len(header))
		}
		cell := func(f string) string {
			if i, ok := col[f]; ok {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		d, bad := csvDevice(cell, m)
		ext := cell(FieldExternalID)
		i, seen := byExt[ext]
		if !seen {
			i = len(users)
			byExt[ext] = i
			users = append(users, transfer.User{
				ExternalID: ext, DisplayName: cell(FieldDisplayName), Status: cell(FieldStatus),
				UserHandle: binaryCell(cell(FieldUserHandle), m.encodings[FieldUserHandle]),
				CreatedAt:  timeCell(cell(FieldUserCreatedAt)),
			})
			lines = append(lines, nil)
			problems = append(problems, nil)
		}
		users[i].Devices = append(users[i].Devices, d)
		lines[i] = append(lines[i], strconv.Itoa(line))
		for _, p := range bad {
			problems[i] = append(problems[i], fmt.Sprintf("line %d: %s", line, p))
		}
	}
	src := &Source{}
	for i, u := range users {
		origin := "CSV line " + strings.Join(lines[i], ", ")
		if len(lines[i]) > 1 {
			origin = "CSV lines " + strings.Join(lines[i], ", ")
		}
		if len(problems[i]) > 0 {
			src.Rejected = append(src.Rejected, Rejection{ExternalID: u.ExternalID, Origin: origin,
				Devices: len(u.Devices), Reason: strings.Join(problems[i], "; ")})
			continue
		}
		src.add(u, origin)
	}
	return src, nil
}

// csvDevice reads a row's passkey, and what is wrong with cells the export
// format could not carry (numbers, flags). Binary cells and times that do
// not parse go as the file has them: the import refuses them, naming them.
func csvDevice(cell func(string) string, m CSVMapping) (transfer.Device, []string) {
	var bad []string
	flag := func(field string) bool {
		b, ok := boolCell(cell(field))
		if !ok {
			bad = append(bad, fmt.Sprintf("%s %q is not true or false", field, cell(field)))
		}
		return b
	}
	d := device(binaryCell(cell(FieldCredID), m.encodings[FieldCredID]), binaryCell(cell(FieldPublicKey), m.encodings[FieldPublicKey]), deviceFacts{
		aaguid: cell(FieldAAGUID), transports: listCell(cell(FieldTransports)),
		backupEligible: flag(FieldBackupEligible), backedUp: flag(FieldBackedUp),
		userVerified: flag(FieldUserVerified), attestationType: cell(FieldAttestationType),
		name: cell(FieldFriendlyName),
	})
	if s := cell(FieldSignCount); s != "" {
		n, err := strconv.ParseUint(s, 10, 32)
		if err != nil {
			bad = append(bad, fmt.Sprintf("%s %q is not a whole number from 0 to 4294967295", FieldSignCount, s))
		}
		d.SignCount = uint32(n)
	}
	if s := cell(FieldUsageCount); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 0 {
			bad = append(bad, fmt.Sprintf("%s %q is not a whole number", FieldUsageCount, s))
		}
		d.UsageCount = n
	}
	d.CreatedAt = timeCell(cell(FieldCreatedAt))
	if last := timeCell(cell(FieldLastLoginAt)); last != "" {
		d.LastLoginAt = &last
	}
	return d, bad
}

// binaryCell re-encodes a binary cell as base64url. A cell that does not
// decode comes back as it is, which the import refuses as not base64url.
func binaryCell(s, encoding string) string {
	if s == "" {
		return ""
	}
	var b []byte
	var err error
	switch encoding {
	case EncodingHex:
		b, err = hex.DecodeString(strings.TrimPrefix(strings.TrimPrefix(s, "\\x"), "0x"))
	case EncodingText:
		b = []byte(s)
	default:
		if strings.HasPrefix(s, "-----BEGIN") { // a PEM public key
			return transfer.Binary([]byte(s))
		}
		b, err = base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
		if err != nil {
			b, err = base64.RawStdEncoding.DecodeString(strings.TrimRight(s, "="))
		}
	}
	if err != nil {
		return "!" + s // never base64url
	}
	return transfer.Binary(b)
}

// timeCell reads RFC 3339, "2006-01-02 15:04:05" (UTC) or Unix seconds; a
// cell that is none of them comes back as it is.
func timeCell(s string) string {
	if s == "" {
		return ""
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return transfer.Time(time.Unix(n, 0))
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02 15:04:05.999999999Z07:00", "2006-01-02 15:04:05.999999999"} {
		if t, err := time.Parse(layout, s); err == nil {
			return transfer.Time(t)
		}
	}
	return s
}

// boolCell reads true/false, 1/0, yes/no, t/f; empty is false.
func boolCell(s string) (b, ok bool) {
	switch strings.ToLower(s) {
	case "true", "1", "yes", "t", "y":
		return true, true
	case "false", "0", "no", "f", "n", "":
		return false, true
	}
	return false, false
}

// listCell reads a JSON list, or values separated by commas, semicolons,
// bars or spaces.
func listCell(s string) []string {
	var l []string
	if strings.HasPrefix(s, "[") && json.Unmarshal([]byte(s), &l) == nil {
		return l
	}
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ';' || r == '|' || r == ' ' })
}
