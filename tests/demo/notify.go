package demo

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/countersign/countersign/shared/envelope"
	"github.com/countersign/countersign/shared/meshtest"
	"github.com/countersign/countersign/tests/sandbox"
)

// PlaybookTenantID is the tenant of the notification scenario.
const PlaybookTenantID = "globex"

// The scenario's people: the CFO's address bounces and the deputy is
// the alternate who replaces the CFO at the provider.
const (
	cfoEmail    = "cfo@globex.example"
	deputyEmail = "deputy-cfo@globex.example"
)

// playbookWait bounds each step of the scenario (a reminder that must
// come, an escalation); the reminders themselves are due within 5 s.
const playbookWait = 30 * time.Second

// playbookNotify is the scenario's playbook: reminders 2 s and 4 s after
// sent (production says 24h, 72h, 7d), escalation after two bounces, an
// alternate for the CFO, every notification mailed to ops. The pause
// rate is raised because one bounced envelope out of three is the point
// of the scenario, not a reason to stop reminding.
func playbookNotify(smtpAddr string) string {
	return fmt.Sprintf(`{reminders: [2s, 4s], escalate_after_failures: 2, alternates: {%q: %q}, pause: {rate: 0.5}, `+
		`channels: [{kind: email, smtp: %q, from: "countersign@globex.example", to: ["esign-ops@globex.example"]}]}`,
		cfoEmail, deputyEmail, smtpAddr)
}

// playbookScenario is the notification scenario: Dropbox Sign (the
// provider whose remind and replace calls the sandbox records) played by
// a sandbox of its own, its API on its own port, and a real SMTP server
// (shared/meshtest's go-smtp harness) receiving the email channel.
type playbookScenario struct {
	smtp  *meshtest.SMTP
	apiLn net.Listener
	api   *http.Server
	sb    *sandbox.Sandbox
	// The three envelopes: reminded until each signer signs; signed and
	// completed before any reminder was due; the CFO's address bounces.
	reminded, signed, bounced *sandbox.Envelope
	// played is how long the scenario took; err why it did not finish.
	played time.Duration
	err    error
}

// newPlaybookScenario takes the ports: the SMTP server and the API
// listener (their addresses go into countersign's config).
func newPlaybookScenario() (*playbookScenario, error) {
	smtp, err := meshtest.NewPlainSMTP()
	if err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		_ = smtp.Close()
		return nil, fmt.Errorf("demo: playbook API listener: %w", err)
	}
	return &playbookScenario{smtp: smtp, apiLn: ln}, nil
}

// tenant is the config of the scenario's tenant.
func (p *playbookScenario) tenant() PlaybookTenant {
	return PlaybookTenant{ID: PlaybookTenantID, APIBaseURL: "http://" + p.apiLn.Addr().String(), Notify: playbookNotify(p.smtp.Addr)}
}

// start serves the provider API and readies the sandbox to call target.
func (p *playbookScenario) start(target string) error {
	sb, err := sandbox.New(sandbox.Config{Target: target, Tenant: PlaybookTenantID, Secrets: DevSecrets(), API: DevAPI(), Seed: 1})
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	p.sb = sb
	p.api = &http.Server{Handler: sb.APIHandler(), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = p.api.Serve(p.apiLn) }()
	return nil
}

// Close stops the servers.
func (p *playbookScenario) Close() {
	if p.api != nil {
		_ = p.api.Close()
	} else {
		_ = p.apiLn.Close()
	}
	if p.sb != nil {
		p.sb.Close()
	}
	_ = p.smtp.Close()
}

// play fires the envelopes' callbacks and moves them on as the playbook
// acts: alice signs once her first reminder is in the ledger, bob once
// his second is, which completes the envelope. It returns when the
// reminders, the escalation and the replacement are in the ledgers, or
// with why not.
func (p *playbookScenario) play(ctx context.Context, a *Admin) error {
	start := time.Now()
	defer func() { p.played = time.Since(start) }()
	now := start.UTC().Truncate(time.Second)
	step := func(t envelope.Type, r int, at time.Time) sandbox.Step {
		return sandbox.Step{Type: t, Recipient: r, At: at}
	}
	p.reminded = &sandbox.Envelope{Provider: sandbox.KindDropboxSign, Tenant: PlaybookTenantID, ID: "sr-demo-reminded",
		Recipients: []sandbox.Recipient{{ID: "sig-alice", Email: "alice@globex.example"}, {ID: "sig-bob", Email: "bob@globex.example"}},
		Script:     []sandbox.Step{step(envelope.TypeSent, -1, now)}, Truth: envelope.StateCompleted}
	p.signed = &sandbox.Envelope{Provider: sandbox.KindDropboxSign, Tenant: PlaybookTenantID, ID: "sr-demo-signed-at-once",
		Recipients: []sandbox.Recipient{{ID: "sig-carol", Email: "carol@globex.example"}},
		Script: []sandbox.Step{step(envelope.TypeSent, -1, now), step(envelope.TypeRecipientSigned, 0, now.Add(time.Second)),
			step(envelope.TypeCompleted, -1, now.Add(2*time.Second))}, Truth: envelope.StateCompleted}
	p.bounced = &sandbox.Envelope{Provider: sandbox.KindDropboxSign, Tenant: PlaybookTenantID, ID: "sr-demo-bounced",
		Recipients: []sandbox.Recipient{{ID: "sig-cfo", Email: cfoEmail}, {ID: "sig-ceo", Email: "ceo@globex.example"}},
		Script: []sandbox.Step{step(envelope.TypeSent, -1, now), step(envelope.TypeRecipientDeliveryFailed, 0, now.Add(time.Second)),
			step(envelope.TypeRecipientDeliveryFailed, 0, now.Add(2*time.Second))}, Truth: envelope.StateSent}
	if _, err := p.sb.Fire(ctx, []*sandbox.Envelope{p.reminded, p.signed, p.bounced}); err != nil {
		return fmt.Errorf("demo: playbook: fire: %w", err)
	}
	if err := awaitLedger(ctx, a, p.reminded.ID, "alice's first reminder", reminderOf("sig-alice", 1)); err != nil {
		return err
	}
	if _, err := p.sb.Continue(ctx, p.reminded, step(envelope.TypeRecipientSigned, 0, nextAt(p.reminded))); err != nil {
		return fmt.Errorf("demo: playbook: %w", err)
	}
	if err := awaitLedger(ctx, a, p.reminded.ID, "bob's second reminder", reminderOf("sig-bob", 2)); err != nil {
		return err
	}
	signed := nextAt(p.reminded)
	if _, err := p.sb.Continue(ctx, p.reminded, step(envelope.TypeRecipientSigned, 1, signed),
		step(envelope.TypeCompleted, -1, signed.Add(time.Second))); err != nil {
		return fmt.Errorf("demo: playbook: %w", err)
	}
	if err := awaitLedger(ctx, a, p.reminded.ID, "completion", hasType(string(envelope.TypeCompleted))); err != nil {
		return err
	}
	if err := awaitLedger(ctx, a, p.bounced.ID, "the CFO's escalation and replacement",
		hasType(string(envelope.TypeEscalated)), hasType(string(envelope.TypeRecipientReplaced))); err != nil {
		return err
	}
	return awaitLedger(ctx, a, p.bounced.ID, "the CEO's second reminder", reminderOf("sig-ceo", 2))
}

// nextAt is the provider time of e's next step: now, but after its last.
func nextAt(e *sandbox.Envelope) time.Time {
	at := time.Now().UTC().Truncate(time.Second)
	if last := e.Script[len(e.Script)-1].At; !at.After(last) {
		at = last.Add(time.Second)
	}
	return at
}

// awaitLedger polls the scenario envelope's ledger until every condition
// holds, for at most playbookWait.
func awaitLedger(ctx context.Context, a *Admin, id, what string, conds ...func(Ledger) bool) error {
	ctx, cancel := context.WithTimeout(ctx, playbookWait)
	defer cancel()
	t := time.NewTicker(pollInterval)
	defer t.Stop()
	for {
		l, err := a.Ledger(ctx, PlaybookTenantID, id)
		if err != nil && !errors.Is(err, ErrNotFound) && ctx.Err() == nil {
			return err
		}
		ok := err == nil
		for _, c := range conds {
			ok = ok && c(l)
		}
		if ok {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w: %s: no %s in the ledger within %s", ErrNotify, id, what, playbookWait)
		case <-t.C:
		}
	}
}

func reminderOf(recipientID string, n int) func(Ledger) bool {
	return func(l Ledger) bool {
		for _, e := range l.Entries {
			if e.Type == string(envelope.TypeReminderSent) && e.Recipient != nil && e.Recipient.ID == recipientID &&
				e.DetailString("reminder") == fmt.Sprint(n) {
				return true
			}
		}
		return false
	}
}

func hasType(typ string) func(Ledger) bool {
	return func(l Ledger) bool {
		for _, e := range l.Entries {
			if e.Type == typ {
				return true
			}
		}
		return false
	}
}
