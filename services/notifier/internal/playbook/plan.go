package playbook

import (
	"time"

	"github.com/countersign/countersign/shared/config"
	"github.com/countersign/countersign/shared/envelope"
)

// Plan is what one ledger entry asks of the notifier.
type Plan struct {
	// Schedule are timers to set (unless one is pending or its action is
	// done already).
	Schedule []Job
	// Now are actions due at once (escalations on failures or expiry).
	Now []Job
	// CancelEnvelope cancels every timer of the envelope;
	// CancelRecipient those of one recipient.
	CancelEnvelope  bool
	CancelRecipient *envelope.RecipientRef
}

// Empty reports whether the plan asks for nothing.
func (p Plan) Empty() bool {
	return len(p.Schedule) == 0 && len(p.Now) == 0 && !p.CancelEnvelope && p.CancelRecipient == nil
}

// PlanEntry returns what entry e asks for under playbook n. rec is the
// envelope's record as it stands (nil if unknown), for what entries do
// not carry: every waiting recipient and failure counts. expiresAt is the
// provider's expiry of the envelope (zero: unknown).
func PlanEntry(n *config.Notify, e envelope.Entry, rec *envelope.Record, expiresAt time.Time) Plan {
	var p Plan
	if n == nil || e.Type.IsAudit() {
		return p
	}
	at, err := time.Parse(time.RFC3339Nano, e.OccurredAt)
	if err != nil {
		return p
	}
	job := func(r envelope.RecipientRef, kind string, num int, base, due time.Time) Job {
		return Job{Tenant: e.Tenant, Provider: e.Provider, EnvelopeID: e.EnvelopeID, Recipient: r,
			Kind: kind, N: num, Base: base.UTC(), Due: due.UTC()}
	}
	if e.State.Terminal() {
		p.CancelEnvelope = true
		if e.Type == envelope.TypeExpired {
			waiting := Waiting(rec)
			if len(waiting) == 0 {
				waiting = []envelope.RecipientRef{{}}
			}
			for _, r := range waiting {
				p.Now = append(p.Now, job(r, KindExpired, 0, at, at))
			}
		}
		return p
	}
	timers := func(r envelope.RecipientRef, base time.Time) {
		for i, d := range n.Reminders {
			p.Schedule = append(p.Schedule, job(r, KindRemind, i+1, base, base.Add(d.D())))
		}
		if d := n.EscalateUnsignedAfter.D(); d > 0 {
			p.Schedule = append(p.Schedule, job(r, KindUnsigned, 0, base, base.Add(d)))
		}
	}
	if e.Type == envelope.TypeSent && n.ExpiryWarning > 0 && !expiresAt.IsZero() {
		p.Schedule = append(p.Schedule, job(envelope.RecipientRef{}, KindExpiry, 0, at, expiresAt.Add(-n.ExpiryWarning.D())))
	}
	if e.Recipient == nil {
		if e.Type == envelope.TypeSent {
			for _, r := range Waiting(rec) {
				timers(r, at)
			}
		}
		return p
	}
	ref := envelope.RecipientRef{ID: e.Recipient.ID, Email: e.Recipient.Email}
	switch e.Recipient.State {
	case envelope.RecipientSigned, envelope.RecipientDeclined:
		p.CancelRecipient = &ref
		return p
	}
	if e.Type == envelope.TypeRecipientDeliveryFailed || e.Type == envelope.TypeRecipientAuthFailed {
		if rec != nil && n.EscalateAfterFailures > 0 {
			if rc, ok := rec.Recipient(ref); ok && rc.DeliveryFailures+rc.AuthFailures >= n.EscalateAfterFailures {
				p.Now = append(p.Now, job(ref, KindFailures, 0, at, at))
			}
		}
		return p
	}
	timers(ref, at)
	return p
}

// Waiting returns the recipients of rec who have not signed or declined.
func Waiting(rec *envelope.Record) []envelope.RecipientRef {
	if rec == nil {
		return nil
	}
	var out []envelope.RecipientRef
	for _, r := range rec.Recipients {
		if !Done(r.State) {
			out = append(out, envelope.RecipientRef{ID: r.ID, Email: r.Email})
		}
	}
	return out
}

// Done reports whether a recipient in state s has nothing left to do.
func Done(s envelope.RecipientState) bool {
	return s == envelope.RecipientSigned || s == envelope.RecipientDeclined
}
