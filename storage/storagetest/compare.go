package storagetest

import (
	"bytes"
	"fmt"
	"reflect"
	"testing"
	"time"
)

// checkSame reports, field by field, how a value read from the store differs
// from the value written. It applies the store's conventions to want: times
// come back in UTC rounded to the microsecond, zero times stay zero. A nil
// slice or map and an empty one are the same, since no caller can tell them
// apart once a row has been stored.
func checkSame[T any](t *testing.T, what string, got, want T) {
	t.Helper()
	for _, d := range differences(what, reflect.ValueOf(got), reflect.ValueOf(want)) {
		t.Error(d)
	}
}

func differences(path string, got, want reflect.Value) []string {
	if got.Type() == reflect.TypeFor[time.Time]() {
		return timeDifference(path, got.Interface().(time.Time), want.Interface().(time.Time))
	}
	switch got.Kind() {
	case reflect.Struct:
		var out []string
		for i := range got.NumField() {
			name := path + "." + got.Type().Field(i).Name
			out = append(out, differences(name, got.Field(i), want.Field(i))...)
		}
		return out
	case reflect.Pointer:
		if got.IsNil() || want.IsNil() {
			if got.IsNil() != want.IsNil() {
				return []string{fmt.Sprintf("%s: got %s, want %s", path, describePointer(got), describePointer(want))}
			}
			return nil
		}
		return differences(path, got.Elem(), want.Elem())
	case reflect.Slice:
		if got.Type().Elem().Kind() == reflect.Uint8 {
			if !bytes.Equal(got.Bytes(), want.Bytes()) {
				return []string{fmt.Sprintf("%s: got %x, want %x", path, got.Bytes(), want.Bytes())}
			}
			return nil
		}
		if got.Len() != want.Len() {
			return []string{fmt.Sprintf("%s: got %d elements %v, want %d elements %v", path, got.Len(), got, want.Len(), want)}
		}
		var out []string
		for i := range got.Len() {
			out = append(out, differences(fmt.Sprintf("%s[%d]", path, i), got.Index(i), want.Index(i))...)
		}
		return out
	case reflect.Map:
		if got.Len() == 0 && want.Len() == 0 {
			return nil
		}
		if !reflect.DeepEqual(got.Interface(), want.Interface()) {
			return []string{fmt.Sprintf("%s: got %v, want %v", path, got, want)}
		}
		return nil
	default:
		if !reflect.DeepEqual(got.Interface(), want.Interface()) {
			return []string{fmt.Sprintf("%s: got %#v, want %#v", path, got, want)}
		}
		return nil
	}
}

func timeDifference(path string, got, want time.Time) []string {
	if want.IsZero() {
		if !got.IsZero() {
			return []string{fmt.Sprintf("%s: got %s, want the zero time", path, got)}
		}
		return nil
	}
	stored := want.UTC().Round(time.Microsecond)
	switch {
	case !got.Equal(stored):
		return []string{fmt.Sprintf("%s: got %s, want %s (%s rounded to the microsecond)", path,
			got.Format(time.RFC3339Nano), stored.Format(time.RFC3339Nano), want.Format(time.RFC3339Nano))}
	case got.Location() != time.UTC:
		return []string{fmt.Sprintf("%s: got location %q, want UTC", path, got.Location())}
	}
	return nil
}

func describePointer(v reflect.Value) string {
	if v.IsNil() {
		return "nil"
	}
	return fmt.Sprintf("&%#v", v.Elem())
}
