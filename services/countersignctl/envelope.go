package countersignctl

import (
	"context"
	"fmt"
	"time"
)

// envelopeView is the admin API's GET /v1/tenants/{t}/envelopes/{id}.
type envelopeView struct {
	Tenant     string    `json:"tenant"`
	EnvelopeID string    `json:"envelope_id"`
	Provider   string    `json:"provider"`
	State      string    `json:"state"`
	UpdatedAt  time.Time `json:"updated_at"`
	LedgerSeq  uint64    `json:"ledger_seq"`
	LedgerHash string    `json:"ledger_hash"`
	Recipients []struct {
		ID    string `json:"id"`
		Email string `json:"email"`
		State string `json:"state"`
	} `json:"recipients"`
}

func envelopeShow(ctx context.Context, c *session, args []string, _ *opts) error {
	var v envelopeView
	data, err := c.get(ctx, envelopePath(args[0], args[1], ""), nil, &v)
	if err != nil {
		return err
	}
	if c.json {
		return c.printJSON(data)
	}
	if err := fields(c.stdout,
		"tenant", v.Tenant,
		"envelope", v.EnvelopeID,
		"provider", v.Provider,
		"state", v.State,
		"updated", when(v.UpdatedAt),
		"ledger", fmt.Sprintf("seq %d, head %s", v.LedgerSeq, orDash(v.LedgerHash)),
	); err != nil {
		return err
	}
	if len(v.Recipients) == 0 {
		_, err := fmt.Fprintln(c.stdout, "\nno recipients known")
		return err
	}
	fmt.Fprintln(c.stdout)
	t := newTable(c.stdout, "RECIPIENT", "EMAIL", "STATE")
	for _, r := range v.Recipients {
		t.row(orDash(r.ID), orDash(r.Email), r.State)
	}
	return t.flush()
}
