package hmac_test

import (
	"errors"
	"reflect"
	"testing"

	"github.com/countersign/countersign/shared/providers/hmac"
)

func TestParseTemplate(t *testing.T) {
	good := []struct {
		in      string
		headers []string
	}{
		{"{body}", nil},
		{"{header:X-Timestamp}.{body}", []string{"X-Timestamp"}},
		{"v1:{header:x-id}:{header:X-TS}:{body}", []string{"X-Id", "X-Ts"}},
		{"{body}\n", nil},
		{"{timestamp}.{body}", nil},
	}
	for _, tt := range good {
		tpl, err := hmac.ParseTemplate(tt.in)
		if err != nil {
			t.Errorf("ParseTemplate(%q): %v", tt.in, err)
			continue
		}
		if got := tpl.Headers(); !reflect.DeepEqual(got, tt.headers) {
			t.Errorf("Headers(%q) = %v, want %v", tt.in, got, tt.headers)
		}
	}
	for _, in := range []string{"", "{header:X-Ts}", "{body}{body}", "{body", "body}", "{Body}", "{header:}.{body}", "{header:X Ts}.{body}", "{time}.{body}", "{query:ts}.{body}"} {
		if _, err := hmac.ParseTemplate(in); !errors.Is(err, hmac.ErrBadTemplate) {
			t.Errorf("ParseTemplate(%q) = %v, want ErrBadTemplate", in, err)
		}
	}
}
