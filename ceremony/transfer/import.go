package transfer

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/passbridge/passbridge/ceremony/aaguid"
	"github.com/passbridge/passbridge/storage"
)

// DefaultBatchSize is how many lines Import commits in one transaction.
const DefaultBatchSize = 1000

// Options change how Import works.
type Options struct {
	// DryRun checks everything, against the store too, and writes nothing.
	// Its summary is the one the import would have.
	DryRun bool
	// Progress, when set, is told how many lines were read so far, after
	// each batch.
	Progress func(lines int)
	// BatchSize is how many lines go into one transaction; 0 is
	// DefaultBatchSize.
	BatchSize int
	// Actor is who the audit events name ("cli", "admin_key:<id>"); "" is
	// "system".
	Actor string
	// AAGUIDs names the devices that come without a name; nil names them by
	// kind only ("Passkey", "Security key").
	AAGUIDs *aaguid.Registry
	// Now is the clock; nil is time.Now.
	Now func() time.Time
}

// Summary is what an import did, or would do in a dry run.
type Summary struct {
	DryRun   bool      `json:"dry_run"`
	Lines    int       `json:"lines"` // lines read, blank ones left out, the header in
	Users    Counts    `json:"users"`
	Devices  Counts    `json:"devices"`
	Refusals []Refusal `json:"refusals"`
}

// Counts counts users or devices by what became of them.
type Counts struct {
	Created   int `json:"created"`
	Unchanged int `json:"unchanged"` // there already, as the line has it
	Refused   int `json:"refused"`   // on a refused line
}

// Refusal is a line that changed nothing, and why.
type Refusal struct {
	Line       int    `json:"line"`
	ExternalID string `json:"external_id,omitempty"`
	Reason     string `json:"reason"`
}

// Audit event types an import records, in the transaction of the rows they
// record.
const (
	EventUserImported   = "user.imported"
	EventDeviceImported = "device.imported"
)

// importer is one run of Import.
type importer struct {
	st    storage.Store
	app   storage.App
	opts  Options
	now   time.Time
	names *aaguid.Registry
	sum   Summary
	// seen holds what a dry run decided to create, which the store does not
	// hold, so that later lines are checked against it as the real import
	// would check them against the store.
	seen *overlay
	// rows counts the rows created; statistics are refreshed when it
	// reaches analyzeAt.
	rows, analyzeAt int
}

// firstAnalysis is how many created rows make an import refresh the
// store's statistics first; it does so again at ten times as many, and so
// on, so that the lookups of later batches stay index lookups.
const firstAnalysis = 1000

// Import reads an export from r and adds its users and devices to app. Each
// line is all or nothing: it creates what it holds that is not there yet,
// finds the rest as it is (the same user handle with the same credentials:
// unchanged), or is refused, with its line number and why, changing
// nothing. Running an import twice changes nothing the second time.
//
// Lines are committed in batches (Options.BatchSize). The whole input is
// refused before anything changes (a *ceremony.Error: CodeInvalidImport,
// CodeRPIDMismatch) when its header is not one of this format and version,
// or names another RP ID than the app's. An error reading r, or from the
// store, stops the import: the Summary returned with it counts the batches
// committed before.
func Import(ctx context.Context, st storage.Store, app storage.App, r io.Reader, opts Options) (Summary, error) {
	im := &importer{st: st, app: app, opts: opts, names: opts.AAGUIDs, analyzeAt: firstAnalysis}
	if im.opts.BatchSize <= 0 {
		im.opts.BatchSize = DefaultBatchSize
	}
	if im.opts.Actor == "" {
		im.opts.Actor = "system"
	}
	clock := opts.Now
	if clock == nil {
		clock = time.Now
	}
	im.now = clock().UTC().Round(time.Microsecond)
	im.sum = Summary{DryRun: opts.DryRun, Refusals: []Refusal{}}
	if opts.DryRun {
		im.seen = newOverlay()
	}
	err := im.run(ctx, bufio.NewReaderSize(r, 64<<10))
	// Lines refused on sight and lines refused by the store's checks
	// were recorded at different times.
	slices.SortStableFunc(im.sum.Refusals, func(a, b Refusal) int { return cmp.Compare(a.Line, b.Line) })
	return im.sum, err
}

func (im *importer) run(ctx context.Context, r *bufio.Reader) error {
	var batch []record
	reported := 0
	// flush commits the batch, then reports progress.
	flush := func() error {
		if len(batch) > 0 {
			if err := im.commit(ctx, batch); err != nil {
				return err
			}
			batch = batch[:0]
		}
		if im.rows >= im.analyzeAt {
			if err := im.st.RefreshStatistics(ctx); err != nil {
				return err
			}
			im.analyzeAt *= 10
		}
		if im.opts.Progress != nil && im.sum.Lines > reported {
			reported = im.sum.Lines
			im.opts.Progress(reported)
		}
		return nil
	}
	for line := 1; ; line++ {
		raw, tooLong, err := readLine(r)
		if err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("read line %d: %w", line, err)
		}
		done := errors.Is(err, io.EOF)
		if raw = bytes.TrimSpace(raw); len(raw) > 0 || tooLong {
			im.sum.Lines++
			isHeader, herr := im.header(raw, line, tooLong)
			switch {
			case herr != nil:
				return herr
			case isHeader:
			case tooLong:
				im.refuse(line, "", 0, fmt.Sprintf("the line is longer than %d bytes", MaxLineBytes))
			default:
				rec, devices, p := im.parseUser(raw, line)
				if len(p) > 0 {
					im.refuse(line, rec.externalID, devices, p.String())
				} else {
					batch = append(batch, rec)
				}
			}
		}
		if len(batch) >= im.opts.BatchSize || done {
			if err := ctx.Err(); err != nil {
				return err
			}
			if err := flush(); err != nil {
				return err
			}
		}
		if done {
			return nil
		}
	}
}

// header recognises a header line (an object with a "format" member) and
// checks it. Only line 1 may be one; a header is refused anywhere else.
func (im *importer) header(raw []byte, line int, tooLong bool) (bool, error) {
	if tooLong {
		return false, nil
	}
	var probe struct {
		Format *string `json:"format"`
	}
	if json.Unmarshal(raw, &probe) != nil || probe.Format == nil {
		return false, nil
	}
	if line != 1 {
		im.refuse(line, "", 0, "a header belongs on the first line only")
		return true, nil
	}
	var h Header
	if err := decodeLine(raw, &h); err != nil {
		return true, invalidImport("line 1: the header does not parse: %v", err)
	}
	if h.Format != FormatName || h.Version != Version {
		return true, invalidImport("line 1: format %q version %d is not one this passbridge reads (%q version %d)",
			h.Format, h.Version, FormatName, Version)
	}
	if h.RPID != im.app.RPID {
		return true, rpIDMismatch(h.RPID, im.app.RPID)
	}
	return true, nil
}

// refuse records a refused line.
func (im *importer) refuse(line int, externalID string, devices int, reason string) {
	im.sum.Users.Refused++
	im.sum.Devices.Refused += devices
	if len(externalID) > maxExternalIDBytes {
		externalID = ""
	}
	im.sum.Refusals = append(im.sum.Refusals, Refusal{Line: line, ExternalID: externalID, Reason: reason})
}

// readLine reads one line of at most MaxLineBytes, without its newline. A
// longer line is read to its end and dropped: tooLong is set and line is
// empty. At the end of the input it returns what is left with io.EOF.
func readLine(r *bufio.Reader) (line []byte, tooLong bool, err error) {
	for {
		chunk, err := r.ReadSlice('\n')
		if !tooLong {
			if len(line)+len(chunk) > MaxLineBytes+1 { // +1: the newline
				tooLong, line = true, nil
			} else {
				line = append(line, chunk...)
			}
		}
		switch {
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case err != nil:
			return line, tooLong, err
		}
		return line, tooLong, nil
	}
}
