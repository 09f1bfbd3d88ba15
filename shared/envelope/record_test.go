package envelope

import (
	"encoding/json"
	"reflect"
	"testing"
)

func ref(id, email string) *RecipientRef { return &RecipientRef{ID: id, Email: email} }

func TestRecipientIdentity(t *testing.T) {
	signed := func(id string, r *RecipientRef) Event {
		e := event(id, TypeRecipientSigned, "")
		e.Recipient = r
		return e
	}
	failed := func(id string, r *RecipientRef) Event {
		e := event(id, TypeRecipientDeliveryFailed, "")
		e.Recipient = r
		return e
	}
	tests := []struct {
		name   string
		events []Event
		want   []Recipient
	}{
		{"email case is ignored and stored lower",
			[]Event{failed("1", ref("", "Ann@X.com")), signed("2", ref("", "ann@x.COM"))},
			[]Recipient{{Email: "ann@x.com", State: RecipientSigned, DeliveryFailures: 1}}},
		{"id fills in an email-only recipient",
			[]Event{failed("1", ref("", "ann@x.com")), signed("2", ref("r1", "ann@x.com"))},
			[]Recipient{{ID: "r1", Email: "ann@x.com", State: RecipientSigned, DeliveryFailures: 1}}},
		{"email-only reference finds a recipient with an id",
			[]Event{signed("1", ref("r1", "ann@x.com")), failed("2", ref("", "ANN@x.com"))},
			[]Recipient{{ID: "r1", Email: "ann@x.com", State: RecipientSigned, DeliveryFailures: 1}}},
		{"id-only and email-only entries merge once linked",
			[]Event{failed("1", ref("r1", "")), signed("2", ref("", "ann@x.com")), failed("3", ref("r1", "ann@x.com"))},
			[]Recipient{{ID: "r1", Email: "ann@x.com", State: RecipientSigned, DeliveryFailures: 2}}},
		{"same email, different ids stay apart",
			[]Event{signed("1", ref("r1", "ann@x.com")), failed("2", ref("r2", "ann@x.com"))},
			[]Recipient{
				{ID: "r1", Email: "ann@x.com", State: RecipientSigned},
				{ID: "r2", Email: "ann@x.com", State: RecipientSent, DeliveryFailures: 1},
			}},
		{"recipients sorted by key",
			[]Event{failed("1", ref("", "zed@x.com")), failed("2", ref("b", "")), failed("3", ref("", "amy@x.com"))},
			[]Recipient{
				{Email: "amy@x.com", State: RecipientSent, DeliveryFailures: 1},
				{ID: "b", State: RecipientSent, DeliveryFailures: 1},
				{Email: "zed@x.com", State: RecipientSent, DeliveryFailures: 1},
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec, _ := applyAll(t, Record{}, tc.events...)
			if !reflect.DeepEqual(rec.Recipients, tc.want) {
				t.Errorf("recipients\n got %+v\nwant %+v", rec.Recipients, tc.want)
			}
		})
	}
}

func TestAckOutbox(t *testing.T) {
	rec, _ := applyAll(t, Record{}, event("1", TypeSent, ""), event("2", TypeDelivered, ""), event("3", TypeCompleted, ""))
	tests := []struct {
		ack  uint64
		want []uint64
	}{
		{0, []uint64{1, 2, 3}},
		{1, []uint64{2, 3}},
		{2, []uint64{3}},
		{3, nil},
		{9, nil},
	}
	for _, tc := range tests {
		r := rec.clone()
		r.AckOutbox(tc.ack)
		var got []uint64
		for _, e := range r.Outbox {
			got = append(got, e.Seq)
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("AckOutbox(%d) left seqs %v, want %v", tc.ack, got, tc.want)
		}
	}
	if len(rec.Outbox) != 3 {
		t.Errorf("AckOutbox on a clone changed the original outbox")
	}
}

func TestRecordJSONRoundTrip(t *testing.T) {
	rec, _ := applyAll(t, Record{},
		event("1", TypeSent, ""), event("2", TypeRecipientSigned, "a"),
		event("3", TypeRecipientAuthFailed, "@b"), event("4", TypeCompleted, ""), event("5", TypeVoided, ""))
	b, err := json.Marshal(rec)
	if err != nil {
		t.Fatal(err)
	}
	var back Record
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if !back.UpdatedAt.Equal(rec.UpdatedAt) {
		t.Errorf("updated_at %v, want %v", back.UpdatedAt, rec.UpdatedAt)
	}
	back.UpdatedAt = rec.UpdatedAt
	if !reflect.DeepEqual(back, rec) {
		t.Errorf("record changed through JSON\n got %+v\nwant %+v", back, rec)
	}
	if err := VerifyEntries(back.Outbox); err != nil {
		t.Errorf("outbox after JSON: %v", err)
	}
	// The record must keep working after a round trip.
	next, entry, err := Apply(back, corrected("6", StateVoided), now)
	if err != nil || entry.Seq != 6 || next.Conflict || next.State != StateVoided {
		t.Errorf("apply after round trip: %+v, %v", entry, err)
	}
}

func TestRecipientRefSame(t *testing.T) {
	for _, c := range []struct {
		a, b RecipientRef
		want bool
	}{
		{RecipientRef{ID: "r1"}, RecipientRef{ID: "r1", Email: "x@example.com"}, true},
		{RecipientRef{ID: "r1", Email: "a@example.com"}, RecipientRef{ID: "r2", Email: "a@example.com"}, false},
		{RecipientRef{Email: "A@Example.com"}, RecipientRef{ID: "r2", Email: "a@example.com"}, true},
		{RecipientRef{Email: "a@example.com"}, RecipientRef{Email: "b@example.com"}, false},
		{RecipientRef{}, RecipientRef{}, false},
	} {
		if got := c.a.Same(c.b); got != c.want || c.b.Same(c.a) != c.want {
			t.Errorf("%+v.Same(%+v) = %v, want %v (both ways)", c.a, c.b, got, c.want)
		}
	}
}
