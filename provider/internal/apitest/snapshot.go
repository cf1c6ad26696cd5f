package apitest

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/passbridge/passbridge/storage"
)

// Snapshot is what the store holds for some apps and can list: users,
// devices, API keys and audit events. An API's tests embed it in a snapshot
// of their own that adds what only they can find (pending handshakes,
// transactions).
type Snapshot struct {
	Users   []storage.User
	Devices []storage.Device
	APIKeys []storage.APIKey
	Audit   []storage.AuditEvent
}

// TakeSnapshot reads apps' users, devices, API keys and audit events.
func TakeSnapshot(t testing.TB, ctx context.Context, st storage.Store, apps ...storage.App) Snapshot {
	t.Helper()
	var s Snapshot
	for _, app := range apps {
		users, _, err := st.ListUsers(ctx, app.ID, storage.UserQuery{Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		s.Users = append(s.Users, users...)
		for _, u := range users {
			ds, err := st.ListDevices(ctx, app.ID, u.ID)
			if err != nil {
				t.Fatal(err)
			}
			s.Devices = append(s.Devices, ds...)
		}
		keys, err := st.ListAPIKeys(ctx, app.ID)
		if err != nil {
			t.Fatal(err)
		}
		// LastUsedAt moves on authenticated calls, refused or not.
		for i := range keys {
			keys[i].LastUsedAt = time.Time{}
		}
		s.APIKeys = append(s.APIKeys, keys...)
		events, err := st.ListAuditEvents(ctx, storage.AuditQuery{AppID: app.ID, Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		s.Audit = append(s.Audit, events...)
	}
	return s
}

// SameSnapshot fails the test if two snapshots (structs of the same type,
// embedding Snapshot or not) differ, naming each field that changed.
func SameSnapshot(t testing.TB, before, after any) {
	t.Helper()
	sameFields(t, reflect.ValueOf(before), reflect.ValueOf(after))
}

func sameFields(t testing.TB, bv, av reflect.Value) {
	t.Helper()
	for i := range bv.NumField() {
		f := bv.Type().Field(i)
		if f.Anonymous && f.Type.Kind() == reflect.Struct {
			sameFields(t, bv.Field(i), av.Field(i))
			continue
		}
		b, a := bv.Field(i).Interface(), av.Field(i).Interface()
		if !reflect.DeepEqual(b, a) {
			bj, _ := json.Marshal(b)
			aj, _ := json.Marshal(a)
			t.Errorf("a refused request changed %s\nbefore: %s\nafter:  %s", f.Name, bj, aj)
		}
	}
}
