package playbook

import (
	"strings"
	"time"

	"github.com/countersign/countersign/shared/config"
	"github.com/countersign/countersign/shared/envelope"
)

// Skip reasons Check returns; "" means act.
const (
	SkipUnknownEnvelope  = "unknown envelope"
	SkipEnvelopeDone     = "envelope done"
	SkipUnknownRecipient = "unknown recipient"
	SkipRecipientDone    = "recipient done"
	SkipSuperseded       = "superseded by a later reminder"
	SkipUnconfigured     = "no longer configured"
	SkipDone             = "already done"
)

// Check says whether job j, due now, still applies to rec under playbook
// n: "" to act, else why not. It is asked when a timer fires, since a
// cancellation can lose the race with the timer: no job acts after its
// recipient or its envelope is done.
func Check(n *config.Notify, j Job, rec *envelope.Record, now time.Time) string {
	switch {
	case n == nil:
		return SkipUnconfigured
	case rec == nil:
		return SkipUnknownEnvelope
	case rec.HasApplied(j.EventID(j.Audit())):
		return SkipDone
	case j.Kind != KindExpired && rec.State.Terminal():
		return SkipEnvelopeDone
	}
	if j.Recipient.Key() != "" {
		rc, ok := rec.Recipient(j.Recipient)
		switch {
		case !ok:
			return SkipUnknownRecipient
		case Done(rc.State):
			return SkipRecipientDone
		}
	}
	switch j.Kind {
	case KindRemind:
		if j.N > len(n.Reminders) {
			return SkipUnconfigured
		}
		// Two reminders due at once (the notifier was down, or rebuilt):
		// only the latest goes out.
		if j.N < len(n.Reminders) && !j.Base.Add(n.Reminders[j.N].D()).After(now) {
			return SkipSuperseded
		}
	case KindUnsigned:
		if n.EscalateUnsignedAfter <= 0 {
			return SkipUnconfigured
		}
	case KindExpiry:
		if n.ExpiryWarning <= 0 {
			return SkipUnconfigured
		}
	}
	return ""
}

// Alternate returns whom to put in place of the recipient of an
// escalation under n ("" for none): never on an expired envelope.
func Alternate(n *config.Notify, j Job) string {
	if n == nil || j.Kind == KindExpired || !j.IsEscalation() || j.Recipient.Email == "" {
		return ""
	}
	for from, to := range n.Alternates {
		if strings.EqualFold(from, j.Recipient.Email) {
			return to
		}
	}
	return ""
}
