package aaguid_test

import (
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/passbridge/passbridge/ceremony/aaguid"
)

func TestLookup(t *testing.T) {
	reg, err := aaguid.Load()
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if reg.Len() < 50 {
		t.Fatalf("Len = %d, want the whole list (50 or more)", reg.Len())
	}
	mustBytes := func(s string) []byte {
		id := uuid.MustParse(s)
		return id[:]
	}
	tests := []struct {
		name     string
		aaguid   []byte
		want     string // "" = not found
		wantIcon bool
	}{
		// The list has renamed iCloud Keychain's AAGUID "Apple Passwords".
		{"apple", mustBytes("fbfc3007-154e-4ecc-8c0b-6e020557d7bd"), "Apple Passwords", true},
		{"google", mustBytes("ea9b8d66-4d01-1d21-3ce4-b6b48cb575d4"), "Google Password Manager", true},
		{"no icons", mustBytes("b5397666-4885-aa6b-cebf-e52262a439a2"), "Chromium Browser", false},
		{"unknown", mustBytes("01020304-0506-0708-090a-0b0c0d0e0f10"), "", false},
		{"zero", make([]byte, 16), "", false},
		{"short", []byte{0xfb, 0xfc, 0x30, 0x07}, "", false},
		{"long", append(mustBytes("fbfc3007-154e-4ecc-8c0b-6e020557d7bd"), 0), "", false},
		{"nil", nil, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			info, ok := reg.Lookup(tt.aaguid)
			if ok != (tt.want != "") || info.Name != tt.want {
				t.Fatalf("Lookup = %+v, %v; want name %q", info.Name, ok, tt.want)
			}
			for _, icon := range []string{info.IconLight, info.IconDark} {
				if tt.wantIcon != (icon != "") {
					t.Errorf("icon present = %v, want %v", icon != "", tt.wantIcon)
				}
				if icon != "" && !strings.HasPrefix(icon, "data:image/svg+xml;base64,") {
					t.Errorf("icon %.40q is not an SVG data URI", icon)
				}
			}
		})
	}
}

func TestNilRegistry(t *testing.T) {
	var reg *aaguid.Registry
	if _, ok := reg.Lookup(make([]byte, 16)); ok {
		t.Fatal("nil registry found something")
	}
	if reg.Len() != 0 {
		t.Fatal("nil registry is not empty")
	}
}

func TestParse(t *testing.T) {
	tests := []struct {
		name    string
		data    string
		wantErr bool
		wantLen int
	}{
		{"empty object", `{}`, false, 0},
		{"one", `{"fbfc3007-154e-4ecc-8c0b-6e020557d7bd": {"name": "X"}}`, false, 1},
		{"not json", `{`, true, 0},
		{"bad key", `{"nope": {"name": "X"}}`, true, 0},
		{"no name", `{"fbfc3007-154e-4ecc-8c0b-6e020557d7bd": {"name": " "}}`, true, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reg, err := aaguid.Parse([]byte(tt.data))
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if err == nil && reg.Len() != tt.wantLen {
				t.Fatalf("Len = %d, want %d", reg.Len(), tt.wantLen)
			}
		})
	}
}

func TestParseDropsNonSVGIcons(t *testing.T) {
	reg, err := aaguid.Parse([]byte(`{"fbfc3007-154e-4ecc-8c0b-6e020557d7bd": {"name": "X", "icon_light": "javascript:alert(1)", "icon_dark": "data:image/svg+xml;base64,PHN2Zy8+"}}`))
	if err != nil {
		t.Fatal(err)
	}
	id := uuid.MustParse("fbfc3007-154e-4ecc-8c0b-6e020557d7bd")
	info, _ := reg.Lookup(id[:])
	if info.IconLight != "" || info.IconDark != "data:image/svg+xml;base64,PHN2Zy8+" {
		t.Fatalf("icons = %q, %q", info.IconLight, info.IconDark)
	}
}

func BenchmarkLookup(b *testing.B) {
	reg, err := aaguid.Load()
	if err != nil {
		b.Fatal(err)
	}
	id := uuid.MustParse("ea9b8d66-4d01-1d21-3ce4-b6b48cb575d4")
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := reg.Lookup(id[:]); !ok {
			b.Fatal("not found")
		}
	}
}
