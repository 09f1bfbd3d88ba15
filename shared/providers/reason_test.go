package providers

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"
)

func TestReasonNeverQuotesTheValue(t *testing.T) {
	const marker = "MARKER@example.com"
	var v struct {
		A int `json:"a"`
	}
	_, escErr := url.ParseQuery("a=%zz" + marker)
	for _, err := range []error{
		json.Unmarshal([]byte(`{"a":"`+marker+`"}`), &v),
		json.Unmarshal([]byte(`{"a":`+marker), &v),
		escErr,
	} {
		if err == nil {
			t.Fatal("want an error")
		}
		if r := Reason(err); strings.Contains(r, "MARKER") || r == "" {
			t.Errorf("Reason(%v) = %q", err, r)
		}
	}
}

func TestUnixSecondsDigitsOnly(t *testing.T) {
	for s, ok := range map[string]bool{
		"1796180636": true, "0": true, "+1796180636": false, "-1": false, " 1": false,
		"1 ": false, "": false, "1e9": false, "99999999999999999999": false, "0x10": false,
	} {
		if _, got := UnixSeconds(s); got != ok {
			t.Errorf("UnixSeconds(%q) ok = %v, want %v", s, got, ok)
		}
	}
	if _, err := ParseUnix("+1796180636"); err == nil {
		t.Error("ParseUnix accepted a sign")
	}
}
