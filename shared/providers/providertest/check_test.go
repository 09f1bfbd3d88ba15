package providertest_test

import (
	"testing"
	"time"

	"github.com/countersign/countersign/shared/envelope"
	"github.com/countersign/countersign/shared/providers"
	"github.com/countersign/countersign/shared/providers/providertest"
)

// TestCheckEvent makes sure the suite's event check catches what it is
// there to catch.
func TestCheckEvent(t *testing.T) {
	at := time.Date(2026, 1, 13, 7, 9, 58, 0, time.UTC)
	good, err := providers.NewEvent("acme", "docusign", "env-1", envelope.TypeRecipientSigned, &envelope.RecipientRef{ID: "1"}, at, "d")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		mutate func(*envelope.Event)
		ok     bool
	}{
		{"good", func(*envelope.Event) {}, true},
		{"wrong tenant", func(e *envelope.Event) { e.Tenant = "other" }, false},
		{"wrong provider", func(e *envelope.Event) { e.Provider = "adobesign" }, false},
		{"not webhook", func(e *envelope.Event) { e.Source = envelope.SourcePoll }, false},
		{"id not derived", func(e *envelope.Event) { e.ID = "x" }, false},
		{"no recipient", func(e *envelope.Event) { e.Recipient = nil }, false},
		{"bad type", func(e *envelope.Event) { e.Type = "stale" }, false},
		{"local time", func(e *envelope.Event) { e.OccurredAt = e.OccurredAt.In(time.FixedZone("x", 3600)) }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := good
			tt.mutate(&ev)
			if err := providertest.CheckEvent(ev, "acme", "docusign"); (err == nil) != tt.ok {
				t.Errorf("CheckEvent = %v, want ok=%v", err, tt.ok)
			}
		})
	}
}
