package main

import (
	"path/filepath"
	"testing"
	"time"
)

// A reservation is the reserving browser's: another browser cannot take
// the username while it lasts, the same browser may ask again (after a
// cancelled passkey prompt) and keeps its token, and a lapsed one is
// anyone's.
func TestReserve(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	a, err := openAccounts(filepath.Join(t.TempDir(), "accounts.json"), func() time.Time { return now })
	if err != nil {
		t.Fatal(err)
	}
	token, ok, err := a.reserve("alice", "")
	if err != nil || !ok {
		t.Fatalf("first reservation: %v %v", ok, err)
	}
	if _, ok, _ := a.reserve("alice", ""); ok {
		t.Fatal("another browser took a live reservation")
	}
	if _, ok, _ := a.reserve("alice", "forged"); ok {
		t.Fatal("a browser with another token took a live reservation")
	}
	again, ok, err := a.reserve("alice", token)
	if err != nil || !ok || again != token {
		t.Fatalf("the reserving browser asking again: %q %v %v", again, ok, err)
	}
	now = now.Add(reservationLifetime)
	other, ok, _ := a.reserve("alice", "")
	if !ok || other == token {
		t.Fatalf("a lapsed reservation: %v, same token %v", ok, other == token)
	}
	if ok, _ := a.activate("alice", token, "dev-1"); ok {
		t.Fatal("the lapsed reservation's token completed the sign-up")
	}
	if ok, _ := a.activate("alice", other, "dev-2"); !ok {
		t.Fatal("the new reservation did not complete the sign-up")
	}
	if _, ok, _ := a.reserve("alice", other); ok {
		t.Fatal("an account's username was reserved again")
	}
}
