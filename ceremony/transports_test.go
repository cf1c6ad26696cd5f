package ceremony_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/go-webauthn/webauthn/protocol"

	"github.com/passbridge/passbridge/ceremony"
)

func TestCleanTransports(t *testing.T) {
	all := []string{"usb", "nfc", "ble", "smart-card", "hybrid", "internal"}
	tests := []struct {
		name string
		in   []string
		want []string
	}{
		{"none", nil, []string{}},
		{"empty", []string{}, []string{}},
		{"all six, kept in the order given", []string{"internal", "hybrid", "smart-card", "ble", "nfc", "usb"},
			[]string{"internal", "hybrid", "smart-card", "ble", "nfc", "usb"}},
		{"duplicates, first place kept", []string{"hybrid", "usb", "hybrid", "usb", "hybrid"}, []string{"hybrid", "usb"}},
		{"markup", []string{"<script>", "usb"}, []string{"usb"}},
		{"NUL", []string{"a\x00b", "usb\x00", "nfc"}, []string{"nfc"}},
		{"long", []string{strings.Repeat("x", 20000), "ble"}, []string{"ble"}},
		{"case matters", []string{"USB", "Internal", "internal"}, []string{"internal"}},
		{"spaces matter", []string{" usb", "usb "}, []string{}},
		{"empty value", []string{"", "nfc"}, []string{"nfc"}},
		{"unknown only", []string{"cable", "bluetooth", "lightning"}, []string{}},
		{"many repeats, capped at six", append(append(append([]string{}, all...), all...), "x", "usb"), all},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ceremony.CleanTransports(tt.in)
			if got == nil || !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("CleanTransports(%q) = %#v, want %q", tt.in, got, tt.want)
			}
			typed := make([]protocol.AuthenticatorTransport, len(tt.in))
			for i, s := range tt.in {
				typed[i] = protocol.AuthenticatorTransport(s)
			}
			if got := ceremony.CleanTransports(typed); !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("CleanTransports of protocol values = %q, want %q", got, tt.want)
			}
		})
	}
}
