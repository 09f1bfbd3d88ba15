package demo

import (
	"bytes"
	"context"
	"fmt"
	"mime"
	"net/mail"
	"strings"
	"time"

	"github.com/countersign/countersign/shared/envelope"
	"github.com/countersign/countersign/tests/sandbox"
)

// NotifyResult is what the notification scenario measured, read back
// from the ledgers, the provider sandbox and the SMTP server.
type NotifyResult struct {
	// Played is how long the scenario took; PlayErr why it did not
	// finish (a reminder, escalation or replacement that never came).
	Played  time.Duration
	PlayErr error
	// Timelines are the scenario envelopes' ledgers in short, by id.
	Timelines []string
	// Reminders counts reminder_sent entries, ViaProvider and
	// ViaChannels by how they went out.
	Reminders, ViaProvider, ViaChannels int
	// AfterDone lists reminders the ledger records after their recipient
	// signed or declined or the envelope ended.
	AfterDone []string
	// Escalations and Replacements describe the escalated and
	// recipient_replaced entries.
	Escalations, Replacements []string
	// RemindCalls and ReplaceCalls count the calls the provider sandbox
	// recorded (Dropbox Sign remind and update).
	RemindCalls, ReplaceCalls int
	// Mails are the subjects of the mails the SMTP server received;
	// MessageIDs counts their distinct Message-IDs.
	Mails      []string
	MessageIDs int
}

// Err returns nil when the scenario played out as its playbook says:
// reminders went out through the provider and none after its recipient
// or envelope was done, the bounced CFO was escalated and replaced once,
// and every notification was mailed once. Otherwise it wraps ErrNotify.
func (n *NotifyResult) Err() error {
	wantMails := n.Reminders + len(n.Escalations)
	switch {
	case n.PlayErr != nil:
		return n.PlayErr
	case n.ViaProvider == 0:
		return fmt.Errorf("%w: no reminder went through the provider", ErrNotify)
	case n.RemindCalls < n.ViaProvider:
		return fmt.Errorf("%w: %d reminders recorded via the provider, %d remind calls", ErrNotify, n.ViaProvider, n.RemindCalls)
	case len(n.AfterDone) > 0:
		return fmt.Errorf("%w: %d reminders after the recipient or envelope was done", ErrNotify, len(n.AfterDone))
	case len(n.Escalations) != 1 || len(n.Replacements) != 1 || n.ReplaceCalls != 1:
		return fmt.Errorf("%w: %d escalations, %d replacements, %d update calls; want 1 of each", ErrNotify,
			len(n.Escalations), len(n.Replacements), n.ReplaceCalls)
	case len(n.Mails) != wantMails || n.MessageIDs != len(n.Mails):
		return fmt.Errorf("%w: %d mails (%d distinct), want %d (one per reminder and escalation)", ErrNotify,
			len(n.Mails), n.MessageIDs, wantMails)
	}
	return nil
}

// measure reads what the scenario left behind. The mails are awaited
// (the email channel is a work queue of its own) for at most wait.
func (p *playbookScenario) measure(ctx context.Context, a *Admin, wait time.Duration) (*NotifyResult, error) {
	n := &NotifyResult{Played: p.played, PlayErr: p.err}
	for _, e := range []*sandbox.Envelope{p.reminded, p.signed, p.bounced} {
		if e == nil {
			continue
		}
		l, err := a.Ledger(ctx, PlaybookTenantID, e.ID)
		if err != nil {
			if n.PlayErr == nil {
				n.PlayErr = fmt.Errorf("%w: %s: %w", ErrNotify, e.ID, err)
			}
			continue
		}
		n.readLedger(e.ID, l)
	}
	for _, act := range p.sb.Actions() {
		switch act.Kind {
		case "remind":
			n.RemindCalls++
		case "replace":
			n.ReplaceCalls++
		}
	}
	want := n.Reminders + len(n.Escalations)
	deadline := time.Now().Add(wait)
	for len(p.smtp.Messages()) < want && time.Now().Before(deadline) && ctx.Err() == nil {
		time.Sleep(pollInterval) // polling the SMTP server with a deadline
	}
	ids := map[string]bool{}
	dec := new(mime.WordDecoder)
	for _, m := range p.smtp.Messages() {
		msg, err := mail.ReadMessage(bytes.NewReader(m.Data))
		if err != nil {
			n.Mails = append(n.Mails, "(unreadable: "+err.Error()+")")
			continue
		}
		subject, err := dec.DecodeHeader(msg.Header.Get("Subject"))
		if err != nil {
			subject = msg.Header.Get("Subject")
		}
		n.Mails = append(n.Mails, subject)
		ids[msg.Header.Get("Message-Id")] = true
	}
	n.MessageIDs = len(ids)
	return n, nil
}

// readLedger counts one envelope's notifier entries and checks, in
// ledger order, that no reminder follows its recipient's signature or
// the envelope's end.
func (n *NotifyResult) readLedger(id string, l Ledger) {
	done := map[string]bool{}
	ended := false
	var line []string
	for _, e := range l.Entries {
		who := ""
		if e.Recipient != nil {
			who, _, _ = strings.Cut(e.Recipient.Email, "@")
		}
		switch envelope.Type(e.Type) {
		case envelope.TypeSent:
			if who != "" {
				line = append(line, "sent to "+who)
			} else {
				line = append(line, "sent")
			}
		case envelope.TypeRecipientDeliveryFailed:
			line = append(line, who+" bounced")
		case envelope.TypeRecipientSigned, envelope.TypeRecipientDeclined:
			line = append(line, who+" "+strings.TrimPrefix(e.Type, "recipient_"))
			if e.Recipient != nil {
				done[e.Recipient.ID], done[strings.ToLower(e.Recipient.Email)] = true, true
			}
		case envelope.TypeReminderSent:
			n.Reminders++
			via := e.DetailString("via")
			if via == "provider" {
				n.ViaProvider++
			} else {
				n.ViaChannels++
			}
			what := fmt.Sprintf("reminder #%s %s (%s)", e.DetailString("reminder"), who, via)
			line = append(line, what)
			if ended || e.Recipient != nil && (done[e.Recipient.ID] || done[strings.ToLower(e.Recipient.Email)]) {
				n.AfterDone = append(n.AfterDone, id+": "+what)
			}
		case envelope.TypeEscalated:
			n.Escalations = append(n.Escalations, fmt.Sprintf("%s %s: %s", id, emailOf(e), e.DetailString("reason")))
			line = append(line, "escalated "+who)
		case envelope.TypeRecipientReplaced:
			n.Replacements = append(n.Replacements, e.DetailString("from")+" → "+e.DetailString("to"))
			line = append(line, who+" replaced by "+e.DetailString("to"))
		}
		if envelope.State(e.State).Terminal() && !ended {
			ended = true
			line = append(line, e.State)
		}
	}
	n.Timelines = append(n.Timelines, id+": "+strings.Join(line, " → "))
}

func emailOf(e Entry) string {
	if e.Recipient == nil {
		return ""
	}
	return e.Recipient.Email
}

// print writes the report's notification section.
func (n *NotifyResult) print(p func(string, ...any)) {
	p("notifications          tenant %s: dropboxsign, reminders [2s, 4s], escalation after 2 bounces, an alternate for the CFO; email to a local SMTP server", PlaybookTenantID)
	p("  played               3 envelopes in %s", n.Played.Round(100*time.Millisecond))
	for _, t := range n.Timelines {
		p("    %s", t)
	}
	p("  reminders sent       %d  (via provider %d, via channels %d; Dropbox Sign remind calls %d)", n.Reminders, n.ViaProvider, n.ViaChannels, n.RemindCalls)
	p("  after signature/end  %d  (reminders the ledger records after their recipient signed or the envelope ended)", len(n.AfterDone))
	for _, s := range n.AfterDone {
		p("    %s", s)
	}
	p("  escalations          %d  (%s)", len(n.Escalations), strings.Join(n.Escalations, "; "))
	p("  replacements         %d  (%s; Dropbox Sign update calls %d)", len(n.Replacements), strings.Join(n.Replacements, "; "), n.ReplaceCalls)
	p("  mails received       %d  (%d distinct Message-IDs)", len(n.Mails), n.MessageIDs)
	for _, s := range n.Mails {
		p("    %s", s)
	}
	if n.PlayErr != nil {
		p("  scenario             %v", n.PlayErr)
	}
}
