package envelope

import (
	"fmt"
	"strings"
	"time"
)

// Apply applies ev to rec and returns the new record and the ledger entry to
// publish. The entry is also appended to the new record's Outbox, Seq and
// LastHash advance to it, ev.ID joins Applied and UpdatedAt becomes now.
// rec itself is never modified, so a caller whose KV compare-and-set failed
// can re-read and apply again.
//
// An event whose id rec has already applied is a duplicate: Apply returns
// rec unchanged and a nil entry. Any other event yields exactly one entry:
// its own type when it changed the record, TypeStale when it changed nothing
// and TypeConflict for a second, different terminal event (see the package
// documentation for the rules). An event the machine cannot accept returns
// an error wrapping ErrInvalidEvent.
func Apply(rec Record, ev Event, now time.Time) (Record, *Entry, error) {
	if err := validate(&rec, ev); err != nil {
		return rec, nil, err
	}
	if rec.HasApplied(ev.ID) {
		return rec, nil, nil
	}
	next := rec.clone()
	next.Tenant, next.Provider, next.EnvelopeID = ev.Tenant, ev.Provider, ev.EnvelopeID
	if next.State == "" {
		next.State = StateCreated
	}
	prev := next.State
	typ, rcp := transition(&next, ev)
	detail := ev.Detail
	if (typ == TypeStale || typ == TypeConflict) && ev.Type != typ {
		// Say which event the audit-only entry stands for, so a reader of
		// the ledger (or a subscriber of stale) knows what was skipped.
		detail = Detail(map[string]string{"type": string(ev.Type)})
	}

	e := Entry{
		ID:            ev.ID,
		Tenant:        ev.Tenant,
		Provider:      ev.Provider,
		EnvelopeID:    ev.EnvelopeID,
		Type:          typ,
		State:         next.State,
		PreviousState: prev,
		Recipient:     rcp,
		OccurredAt:    FormatTime(ev.OccurredAt),
		RecordedAt:    FormatTime(now),
		Source:        ev.Source,
		Detail:        detail,
		Seq:           rec.Seq + 1,
		PrevHash:      rec.LastHash,
	}
	hash, err := e.ComputeHash()
	if err != nil {
		return rec, nil, fmt.Errorf("apply event %s: %w", ev.ID, err)
	}
	e.Hash = hash
	next.Seq, next.LastHash = e.Seq, e.Hash
	next.markApplied(ev.ID)
	next.UpdatedAt = now
	next.Outbox = append(next.Outbox, e)
	return next, &e, nil
}

// FormatTime renders a ledger timestamp: RFC 3339 in UTC with the
// sub-second digits the time carries.
func FormatTime(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// validate rejects events the machine cannot apply to rec.
func validate(rec *Record, ev Event) error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: event %s: %s", ErrInvalidEvent, ev.ID, fmt.Sprintf(format, args...))
	}
	if err := ev.Check(); err != nil {
		// The message names the field, never its value (it came from a body).
		return fmt.Errorf("%w: %w", ErrInvalidEvent, err)
	}
	switch {
	case ev.Type.IsRecipient() && (ev.Recipient == nil || ev.Recipient.Key() == ""):
		return bad("%s without a recipient", ev.Type)
	case ev.Type == TypeCorrected && !ev.State.Valid():
		return bad("correction to an unknown state")
	case rec.Tenant != "" && rec.Tenant != ev.Tenant,
		rec.EnvelopeID != "" && rec.EnvelopeID != ev.EnvelopeID,
		rec.Provider != "" && rec.Provider != ev.Provider:
		return bad("for another envelope than the record's")
	}
	return nil
}

// transition changes rec as ev says and returns the ledger type to record
// and, for recipient events, the recipient as it now stands.
func transition(rec *Record, ev Event) (Type, *EntryRecipient) {
	switch {
	case ev.Type.IsAudit():
		return ev.Type, auditRecipient(rec, ev.Recipient)
	case ev.Type.IsRecipient():
		return applyRecipient(rec, ev)
	case ev.Type == TypeCorrected:
		rec.Conflict = false
		if rec.State == ev.State {
			return TypeStale, nil
		}
		rec.State = ev.State
		return TypeCorrected, nil
	}
	target := stateForType[ev.Type]
	// A sent or delivered event that names a recipient also moves that
	// recipient (sent < delivered), so "viewed by alice" is not lost when
	// the envelope already stands higher.
	var rcp *EntryRecipient
	rcpChanged := false
	if s, ok := recipientStateForType[ev.Type]; ok && ev.Recipient != nil && ev.Recipient.Key() != "" {
		rcpChanged, rcp = raiseRecipient(rec, *ev.Recipient, s)
	}
	switch {
	case !target.Terminal():
		if rec.State.Rank() >= target.Rank() {
			if rcpChanged {
				return ev.Type, rcp
			}
			return TypeStale, rcp
		}
	case rec.State == target:
		return TypeStale, nil
	case rec.State.Terminal():
		// The first terminal state stands until the provider's truth
		// arrives as a correction.
		rec.Conflict = true
		return TypeConflict, nil
	}
	rec.State = target
	return ev.Type, rcp
}

// auditRecipient is the recipient an audit event names, as the record
// knows it; an audit event never adds or changes a recipient.
func auditRecipient(rec *Record, ref *RecipientRef) *EntryRecipient {
	if ref == nil || ref.Key() == "" {
		return nil
	}
	if rc, ok := rec.Recipient(*ref); ok {
		return &EntryRecipient{ID: rc.ID, Email: rc.Email, State: rc.State}
	}
	return &EntryRecipient{ID: ref.ID, Email: strings.ToLower(ref.Email)}
}

// recipientStateForType is the recipient state an envelope-level event
// implies for the recipient it names.
var recipientStateForType = map[Type]RecipientState{
	TypeSent:      RecipientSent,
	TypeDelivered: RecipientDelivered,
}

// raiseRecipient raises the named recipient to s (never lowers it),
// adding it when new, and reports whether that changed anything.
func raiseRecipient(rec *Record, ref RecipientRef, s RecipientState) (bool, *EntryRecipient) {
	// A recipient the record did not know is news even at state sent:
	// it registers someone who has yet to act.
	_, known := rec.Recipient(ref)
	rc := &rec.Recipients[rec.recipientFor(ref)]
	changed := !known
	if rc.State.Rank() < s.Rank() {
		rc.State = s
		changed = true
	}
	return changed, &EntryRecipient{ID: rc.ID, Email: rc.Email, State: rc.State}
}

// applyRecipient applies a recipient event. The recipient is updated even
// on a terminal envelope, so late arrivals converge; the envelope itself
// only moves to partially_signed, and only from below it.
func applyRecipient(rec *Record, ev Event) (Type, *EntryRecipient) {
	i := rec.recipientFor(*ev.Recipient)
	rc := &rec.Recipients[i]
	changed := false
	raise := func(s RecipientState) {
		if rc.State.Rank() < s.Rank() {
			rc.State = s
			changed = true
		}
	}
	switch ev.Type {
	case TypeRecipientSigned:
		raise(RecipientSigned)
		if !rec.State.Terminal() && rec.State.Rank() < StatePartiallySigned.Rank() {
			rec.State = StatePartiallySigned
			changed = true
		}
	case TypeRecipientDeclined:
		raise(RecipientDeclined)
	case TypeRecipientDeliveryFailed:
		rc.DeliveryFailures++
		changed = true
	case TypeRecipientAuthFailed:
		rc.AuthFailures++
		changed = true
	}
	out := &EntryRecipient{ID: rc.ID, Email: rc.Email, State: rc.State}
	if !changed {
		return TypeStale, out
	}
	return ev.Type, out
}
