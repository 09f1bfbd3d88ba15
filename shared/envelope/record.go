package envelope

import (
	"slices"
	"time"
)

// Record is an envelope's current state, stored as JSON in the JetStream KV
// bucket under RecordKey. It is a projection of the ledger: the outbox makes
// the state write and the ledger publication one step (see Outbox).
type Record struct {
	Tenant     string `json:"tenant"`
	Provider   string `json:"provider"`
	EnvelopeID string `json:"envelope_id"`
	State      State  `json:"state"`
	// Recipients are kept sorted by Key.
	Recipients []Recipient `json:"recipients,omitempty"`
	// Applied holds the id of every event applied, including those recorded
	// as stale or conflict: it is the "done" marker that makes a redelivered
	// event a no-op. Kept sorted so lookups are a binary search.
	Applied []string `json:"applied,omitempty"`
	// Seq is the seq of the last ledger entry, LastHash its hash.
	Seq       uint64    `json:"seq"`
	LastHash  string    `json:"last_hash,omitempty"`
	UpdatedAt time.Time `json:"updated_at"`
	// Conflict is set while a conflicting terminal event waits for the
	// provider's truth (a corrected event).
	Conflict bool `json:"conflict,omitempty"`
	// Outbox holds ledger entries written with the state but not yet
	// confirmed published; the publisher removes them with AckOutbox.
	Outbox []Entry `json:"outbox,omitempty"`
}

// Recipient is one recipient's state within a Record.
type Recipient struct {
	ID string `json:"id,omitempty"`
	// Email is stored lower-cased: providers vary its case between
	// callbacks, and the record must not depend on which arrived first.
	Email            string         `json:"email,omitempty"`
	State            RecipientState `json:"state"`
	DeliveryFailures int            `json:"delivery_failures,omitempty"`
	AuthFailures     int            `json:"auth_failures,omitempty"`
}

// Key is the recipient's identity in the record: its id, else its email.
func (r Recipient) Key() string { return RecipientRef{ID: r.ID, Email: r.Email}.Key() }

// HasApplied reports whether the event with this id has been applied.
func (r *Record) HasApplied(eventID string) bool {
	_, found := slices.BinarySearch(r.Applied, eventID)
	return found
}

// Recipient returns the recipient an event reference names, if known.
func (r *Record) Recipient(ref RecipientRef) (Recipient, bool) {
	byID, byEmail := r.findRecipient(ref)
	switch {
	case byID >= 0:
		return r.Recipients[byID], true
	case byEmail >= 0:
		return r.Recipients[byEmail], true
	}
	return Recipient{}, false
}

// AckOutbox removes the outbox entries with seq up to and including seq:
// the publisher calls it once JetStream has acknowledged them.
func (r *Record) AckOutbox(seq uint64) {
	r.Outbox = slices.DeleteFunc(r.Outbox, func(e Entry) bool { return e.Seq <= seq })
	if len(r.Outbox) == 0 {
		r.Outbox = nil
	}
}

// clone returns a copy of r sharing no slices with it, so Apply never
// changes the record a caller may still retry with.
func (r Record) clone() Record {
	r.Recipients = slices.Clone(r.Recipients)
	r.Applied = slices.Clone(r.Applied)
	r.Outbox = slices.Clone(r.Outbox)
	return r
}

// markApplied inserts eventID into the sorted Applied list.
func (r *Record) markApplied(eventID string) {
	i, found := slices.BinarySearch(r.Applied, eventID)
	if !found {
		r.Applied = slices.Insert(r.Applied, i, eventID)
	}
}
