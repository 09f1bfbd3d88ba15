package providers_test

import (
	"errors"
	"testing"
	"time"

	"github.com/countersign/countersign/shared/envelope"
	"github.com/countersign/countersign/shared/providers"
)

func TestNewEventRejects(t *testing.T) {
	at := time.Unix(1, 0)
	tests := []struct {
		name string
		env  string
		t    envelope.Type
		r    *envelope.RecipientRef
		at   time.Time
	}{
		{"no envelope", "", envelope.TypeSent, nil, at},
		{"ledger-only type", "e", envelope.TypeConflict, nil, at},
		{"recipient type without recipient", "e", envelope.TypeRecipientDeclined, &envelope.RecipientRef{}, at},
		{"no time", "e", envelope.TypeSent, nil, time.Time{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := providers.NewEvent("acme", "docusign", tt.env, tt.t, tt.r, tt.at, ""); !errors.Is(err, providers.ErrMalformed) {
				t.Errorf("NewEvent = %v, want ErrMalformed", err)
			}
		})
	}
}

func TestNewEventDropsEmptyRecipient(t *testing.T) {
	ev, err := providers.NewEvent("acme", "docusign", "e", envelope.TypeSent, &envelope.RecipientRef{}, time.Unix(1, 0), "")
	if err != nil || ev.Recipient != nil {
		t.Fatalf("NewEvent = %+v, %v; want no recipient", ev, err)
	}
	if want := envelope.EventID("acme", "docusign", "e", envelope.TypeSent, nil, time.Unix(1, 0)); ev.ID != want {
		t.Errorf("ID = %s, want %s", ev.ID, want)
	}
}

func TestParseTime(t *testing.T) {
	want := time.Date(2026, 1, 13, 7, 9, 58, 958468700, time.UTC)
	tests := []struct {
		in   string
		want time.Time
		ok   bool
	}{
		{"2026-01-13T07:09:58.9584687Z", want, true},
		{"2026-01-13T08:09:58.9584687+01:00", want, true},
		{"2026-01-13T00:09:58.9584687-0700", want, true},
		{"2026-01-13T07:09:58.9584687", want, true},
		{"2026-01-13T07:09:58Z", want.Truncate(time.Second), true},
		{"13/01/2026", time.Time{}, false},
		{"", time.Time{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := providers.ParseTime(tt.in)
			if !tt.ok {
				if !errors.Is(err, providers.ErrMalformed) {
					t.Errorf("ParseTime = %v, %v; want ErrMalformed", got, err)
				}
				return
			}
			if err != nil || !got.Equal(tt.want) || got.Location() != time.UTC {
				t.Errorf("ParseTime = %v, %v; want %v UTC", got, err, tt.want)
			}
		})
	}
}

func TestParseUnix(t *testing.T) {
	if got, err := providers.ParseUnix("1348177752"); err != nil || !got.Equal(time.Unix(1348177752, 0)) {
		t.Errorf("ParseUnix = %v, %v", got, err)
	}
	if _, err := providers.ParseUnix("12.5"); !errors.Is(err, providers.ErrMalformed) {
		t.Errorf("ParseUnix(12.5) = %v, want ErrMalformed", err)
	}
}

func TestIsTerminal(t *testing.T) {
	for _, ty := range envelope.EventTypes {
		want := ty == envelope.TypeCompleted || ty == envelope.TypeDeclined || ty == envelope.TypeVoided || ty == envelope.TypeExpired
		if got := providers.IsTerminal(ty); got != want {
			t.Errorf("IsTerminal(%s) = %v, want %v", ty, got, want)
		}
	}
}
