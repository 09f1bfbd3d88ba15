package hmac_test

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"

	"github.com/countersign/countersign/shared/providers/hmac"
)

// rfc6901 is the example document of RFC 6901 §5.
const rfc6901 = `{"foo": ["bar", "baz"], "": 0, "a/b": 1, "c%d": 2, "e^f": 3, "g|h": 4, "i\\j": 5, "k\"l": 6, " ": 7, "m~n": 8}`

func TestPointerRFCExamples(t *testing.T) {
	var doc any
	if err := json.Unmarshal([]byte(rfc6901), &doc); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		ptr  string
		want any
	}{
		{"", doc},
		{"/foo", []any{"bar", "baz"}},
		{"/foo/0", "bar"},
		{"/", 0.0},
		{"/a~1b", 1.0},
		{"/c%d", 2.0},
		{"/e^f", 3.0},
		{"/g|h", 4.0},
		{"/i\\j", 5.0},
		{"/k\"l", 6.0},
		{"/ ", 7.0},
		{"/m~0n", 8.0},
	}
	for _, tt := range tests {
		p, err := hmac.ParsePointer(tt.ptr)
		if err != nil {
			t.Fatalf("ParsePointer(%q): %v", tt.ptr, err)
		}
		got, ok := p.Resolve(doc)
		if !ok || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Resolve(%q) = %v, %v; want %v", tt.ptr, got, ok, tt.want)
		}
		if p.String() != tt.ptr {
			t.Errorf("String = %q, want %q", p.String(), tt.ptr)
		}
	}
}

func TestPointerEscapesAndMisses(t *testing.T) {
	var doc any
	if err := json.Unmarshal([]byte(`{"~1": "tilde-one", "/": "slash", "a": {"b": [10, 20, {"c": null}]}}`), &doc); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		ptr  string
		want any
		ok   bool
	}{
		{"/~01", "tilde-one", true}, // "~01" is "~1" literally, never "/"
		{"/~1", "slash", true},
		{"/a/b/1", 20.0, true},
		{"/a/b/2/c", nil, true},
		{"/a/b/01", nil, false}, // leading zeros are not indices
		{"/a/b/-", nil, false},  // the element after the last
		{"/a/b/3", nil, false},
		{"/a/b/-1", nil, false},
		{"/a/b/x", nil, false},
		{"/a/c", nil, false},
		{"/a/b/1/x", nil, false}, // into a scalar
		{"/a/b/99999999999999999999999", nil, false},
	}
	for _, tt := range tests {
		p, err := hmac.ParsePointer(tt.ptr)
		if err != nil {
			t.Fatalf("ParsePointer(%q): %v", tt.ptr, err)
		}
		got, ok := p.Resolve(doc)
		if ok != tt.ok || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Resolve(%q) = %v, %v; want %v, %v", tt.ptr, got, ok, tt.want, tt.ok)
		}
	}
}

func TestParsePointerRejects(t *testing.T) {
	for _, s := range []string{"event", "data/id", "/a~", "/a~2", "/~x/b", "#/a"} {
		if _, err := hmac.ParsePointer(s); !errors.Is(err, hmac.ErrBadPointer) {
			t.Errorf("ParsePointer(%q) = %v, want ErrBadPointer", s, err)
		}
	}
}
