package transfer

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strconv"
	"strings"

	"github.com/passbridge/passbridge/storage"
)

// known is a user as the checks of a line see it: stored, or created by an
// earlier line of the import.
type known struct {
	id         string
	externalID string // "" when only the user's ID is known
}

// overlay indexes users and credentials by what lines name them by.
type overlay struct {
	byExt    map[string]known
	byHandle map[string]known
	byCred   map[string]known // credential ID → its user
}

func newOverlay() *overlay {
	return &overlay{byExt: map[string]known{}, byHandle: map[string]known{}, byCred: map[string]known{}}
}

func (o *overlay) merge(other *overlay) {
	maps.Copy(o.byExt, other.byExt)
	maps.Copy(o.byHandle, other.byHandle)
	maps.Copy(o.byCred, other.byCred)
}

// plan is what a batch of lines does: the rows to write, the counts, the
// refusals, and what its lines create for the checks of later lines.
type plan struct {
	batch    storage.Batch
	users    Counts
	devices  Counts
	refusals []Refusal
	added    *overlay
}

// layers looks a key up in the overlays in order; the first that has it
// answers.
type layers []*overlay

func (ls layers) find(index func(*overlay) map[string]known, key string) (known, bool) {
	for _, o := range ls {
		if o == nil {
			continue
		}
		if k, ok := index(o)[key]; ok {
			return k, true
		}
	}
	return known{}, false
}

func byExt(o *overlay) map[string]known    { return o.byExt }
func byHandle(o *overlay) map[string]known { return o.byHandle }
func byCred(o *overlay) map[string]known   { return o.byCred }

// plan checks a batch of valid lines against st (and what earlier lines of
// the import created) and decides, line by line, what each creates. It
// writes nothing.
func (im *importer) plan(ctx context.Context, st storage.Store, recs []record) (plan, error) {
	var exts []string
	var handles, creds [][]byte
	for _, r := range recs {
		exts = append(exts, r.user.ExternalID)
		if r.handleSet {
			handles = append(handles, r.user.Handle)
		}
		for _, d := range r.devices {
			creds = append(creds, d.CredentialID)
		}
	}
	users, err := st.FindUsers(ctx, im.app.ID, exts, handles)
	if err != nil {
		return plan{}, err
	}
	devices, err := st.FindDevices(ctx, im.app.ID, creds)
	if err != nil {
		return plan{}, err
	}
	stored := newOverlay()
	ids := make(map[string]known, len(users))
	for _, u := range users {
		k := known{id: u.ID, externalID: u.ExternalID}
		ids[u.ID] = k
		stored.byExt[u.ExternalID] = k
		stored.byHandle[string(u.Handle)] = k
	}
	for _, d := range devices {
		owner, ok := ids[d.UserID]
		if !ok {
			// A passkey of a user no line names: a conflict, which the
			// refusal describes by that user's external ID.
			owner = known{id: d.UserID}
			if u, err := st.GetUser(ctx, im.app.ID, d.UserID); err == nil {
				owner.externalID = u.ExternalID
			}
			ids[d.UserID] = owner
		}
		stored.byCred[string(d.CredentialID)] = owner
	}
	p := plan{added: newOverlay()}
	ls := layers{p.added, im.seen, stored}
	for _, r := range recs {
		im.decide(&p, ls, r)
	}
	return p, nil
}

// decide adds one line to p: its rows, or its refusal.
func (im *importer) decide(p *plan, ls layers, r record) {
	byE, hasE := ls.find(byExt, r.user.ExternalID)
	byH, hasH := known{}, false
	if r.handleSet {
		byH, hasH = ls.find(byHandle, string(r.user.Handle))
	}
	refuse := func(reason string) {
		p.users.Refused++
		p.devices.Refused += len(r.devices)
		p.refusals = append(p.refusals, Refusal{Line: r.line, ExternalID: r.user.ExternalID, Reason: reason})
	}
	var user known
	isNew := false
	switch {
	case !hasE && !hasH:
		user, isNew = known{id: storage.NewID(), externalID: r.user.ExternalID}, true
	case hasE && (!r.handleSet || (hasH && byH.id == byE.id)):
		user = byE
	case hasE:
		refuse(fmt.Sprintf("external_id %q is already a user with another user_handle", r.user.ExternalID))
		return
	default:
		refuse(fmt.Sprintf("user_handle is already the handle of %s", describe(byH)))
		return
	}
	var conflicts []string
	var fresh []int
	for i, d := range r.devices {
		owner, ok := ls.find(byCred, string(d.CredentialID))
		switch {
		case !ok:
			fresh = append(fresh, i)
		case owner.id != user.id:
			conflicts = append(conflicts, fmt.Sprintf("devices[%d].cred_id is already a passkey of %s", i, describe(owner)))
		}
	}
	if len(conflicts) > 0 {
		refuse(strings.Join(conflicts, "; "))
		return
	}
	line := strconv.Itoa(r.line)
	if isNew {
		u := r.user
		u.ID = user.id
		p.batch.Users = append(p.batch.Users, u)
		p.batch.Events = append(p.batch.Events, im.event(EventUserImported, u.ID, "", map[string]string{
			"external_id": u.ExternalID, "devices": strconv.Itoa(len(r.devices)), "line": line,
		}))
		p.users.Created++
		p.added.byExt[u.ExternalID] = user
		p.added.byHandle[string(u.Handle)] = user
	} else {
		p.users.Unchanged++
	}
	p.devices.Unchanged += len(r.devices) - len(fresh)
	for _, i := range fresh {
		d := r.devices[i]
		d.ID, d.UserID = storage.NewID(), user.id
		p.batch.Devices = append(p.batch.Devices, d)
		if !isNew {
			p.batch.Events = append(p.batch.Events, im.event(EventDeviceImported, user.id, d.ID, map[string]string{
				"credential_id": Binary(d.CredentialID), "line": line,
			}))
		}
		p.devices.Created++
		p.added.byCred[string(d.CredentialID)] = user
	}
}

// describe names a user in a refusal: by external ID when it is known.
func describe(k known) string {
	if k.externalID != "" {
		return fmt.Sprintf("the user with external_id %q", k.externalID)
	}
	return fmt.Sprintf("another user (id %s)", k.id)
}

func (im *importer) event(typ, userID, deviceID string, detail map[string]string) storage.AuditEvent {
	return storage.AuditEvent{
		ID: storage.NewID(), AppID: im.app.ID, Type: typ, Actor: im.opts.Actor,
		UserID: userID, DeviceID: deviceID, Detail: detail, CreatedAt: im.now,
	}
}

// commit plans a batch and, unless it is a dry run, writes it in one
// transaction with the reads it was planned on. A batch that a concurrent
// change broke between the reads and the writes (a passkey registered
// meanwhile) is done again line by line, each line checked anew.
func (im *importer) commit(ctx context.Context, recs []record) error {
	if im.opts.DryRun {
		p, err := im.plan(ctx, im.st, recs)
		if err != nil {
			return fmt.Errorf("check lines %d to %d: %w", recs[0].line, recs[len(recs)-1].line, err)
		}
		im.apply(p)
		im.seen.merge(p.added)
		return nil
	}
	var p plan
	err := im.st.InTx(ctx, func(tx storage.Store) error {
		var err error
		if p, err = im.plan(ctx, tx, recs); err != nil {
			return err
		}
		return tx.CreateBatch(ctx, p.batch)
	})
	raced := errors.Is(err, storage.ErrAlreadyExists) || errors.Is(err, storage.ErrNotFound)
	switch {
	case err == nil:
		im.apply(p)
		im.rows += len(p.batch.Users) + len(p.batch.Devices)
		return nil
	case raced && len(recs) > 1:
		for _, r := range recs {
			if err := im.commit(ctx, []record{r}); err != nil {
				return err
			}
		}
		return nil
	case raced:
		r := recs[0]
		im.refuse(r.line, r.user.ExternalID, len(r.devices), "a user or passkey of this line changed while it was imported; import again")
		return nil
	}
	return fmt.Errorf("import lines %d to %d: %w", recs[0].line, recs[len(recs)-1].line, err)
}

// apply adds a committed (or dry-run) plan to the summary.
func (im *importer) apply(p plan) {
	add := func(c *Counts, d Counts) {
		c.Created += d.Created
		c.Unchanged += d.Unchanged
		c.Refused += d.Refused
	}
	add(&im.sum.Users, p.users)
	add(&im.sum.Devices, p.devices)
	im.sum.Refusals = append(im.sum.Refusals, p.refusals...)
}
