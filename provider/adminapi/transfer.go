package adminapi

import (
	"errors"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/passbridge/passbridge/ceremony/transfer"
	"github.com/passbridge/passbridge/provider/httpapi"
	"github.com/passbridge/passbridge/storage"
)

// transferTime is how long an import or an export may take, beyond the
// server's read and write timeouts (made for ordinary calls): 100,000
// passkeys go in well under a minute, and a slow link may take longer.
const transferTime = 30 * time.Minute

// ndjson is the media type of the import and export format.
const ndjson = "application/x-ndjson"

// longRequest lifts the server's read and write deadlines of this request's
// connection, where the server has them.
func longRequest(c *gin.Context) {
	rc := http.NewResponseController(c.Writer)
	deadline := time.Now().Add(transferTime)
	_ = rc.SetReadDeadline(deadline) // not every writer supports it (tests); the defaults stand
	_ = rc.SetWriteDeadline(deadline)
}

// importUsers adds the users and passkeys of an export (NDJSON, DESIGN §9)
// to the app. ?dry_run=true checks everything and writes nothing. The
// answer is the summary: users and devices created, unchanged and refused,
// and every refused line with its number and reason.
func (a *API) importUsers(c *gin.Context) error {
	dryRun := false
	if v, given, err := oneQuery(c.Request.URL.Query(), "dry_run"); err != nil {
		return err
	} else if given {
		if dryRun, err = strconv.ParseBool(v); err != nil {
			return httpapi.BadRequest("dry_run must be true or false")
		}
	}
	longRequest(c)
	app := appOf(c)
	body := &readRecorder{r: c.Request.Body}
	sum, err := transfer.Import(c.Request.Context(), a.store, app, body, transfer.Options{
		DryRun: dryRun, Actor: actor(c), AAGUIDs: a.ceremony.AAGUIDs(), Now: a.now,
	})
	switch {
	case body.err != nil && httpapi.IsTooLarge(body.err):
		return httpapi.ErrTooLarge(ImportMaxBytes)
	case body.err != nil:
		return httpapi.Wrap(err, http.StatusBadRequest, httpapi.CodeInvalidRequest, "request body could not be read")
	case err != nil:
		// A header of another format (400) or RP ID (422) is a ceremony
		// error; anything else, the store's.
		return err
	}
	a.logger(c).Info("import", "app_id", app.ID, "dry_run", dryRun, "lines", sum.Lines,
		"users_created", sum.Users.Created, "devices_created", sum.Devices.Created,
		"refused", len(sum.Refusals), "actor", actor(c))
	c.JSON(http.StatusOK, sum)
	return nil
}

// readRecorder keeps the error of reading the request body, so that a body
// that could not be read is told from a failure of the store.
type readRecorder struct {
	r   io.Reader
	err error
}

func (r *readRecorder) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if err != nil && !errors.Is(err, io.EOF) {
		r.err = err
	}
	return n, err
}

// exportUsers streams every user of the app with its passkeys, as NDJSON
// (DESIGN §9), a header line first. An export copies the app's users out,
// so it is recorded in the audit log although it changes nothing.
func (a *API) exportUsers(c *gin.Context) error {
	app, ctx := appOf(c), c.Request.Context()
	err := a.store.InTx(ctx, func(tx storage.Store) error {
		return a.audit(c, tx, app.ID, "app.exported", storage.AuditEvent{})
	})
	if err != nil {
		return err
	}
	longRequest(c)
	w := &exportWriter{c: c, name: "passbridge-" + app.ID + ".ndjson"}
	if err := transfer.Export(ctx, a.store, app, w); err != nil {
		if w.started {
			// The status is out with the first line: the client gets a
			// truncated export, and the log says why.
			a.logger(c).Error("export failed midway", "app_id", app.ID, "err", err)
			c.Abort()
			return nil
		}
		return err
	}
	a.logger(c).Info("export", "app_id", app.ID, "actor", actor(c))
	return nil
}

// exportWriter sends an export's headers with its first bytes, so that a
// failure before them is answered as an error, in JSON.
type exportWriter struct {
	c       *gin.Context
	name    string
	started bool
}

func (w *exportWriter) Write(p []byte) (int, error) {
	if !w.started {
		w.started = true
		h := w.c.Writer.Header()
		h.Set("Content-Type", ndjson)
		h.Set("Content-Disposition", `attachment; filename="`+w.name+`"`)
		h.Set("Cache-Control", "no-store")
		w.c.Status(http.StatusOK)
	}
	return w.c.Writer.Write(p)
}
