package countersignctl

import (
	"context"
	"flag"
	"fmt"
	"net/url"
	"strconv"
)

func listFlags(fs *flag.FlagSet, o *opts) {
	fs.StringVar(&o.state, "state", "", "only envelopes in this state")
	fs.StringVar(&o.provider, "provider", "", "only envelopes of this provider")
	fs.StringVar(&o.q, "q", "", "only envelope ids containing this (case-insensitive)")
	fs.IntVar(&o.limit, "limit", 0, "at most this many (server default 50, at most 500)")
}

// envelopeList searches a tenant's envelopes
// (GET /v1/tenants/{t}/envelopes), most recently updated first.
func envelopeList(ctx context.Context, c *session, args []string, o *opts) error {
	q := url.Values{}
	for k, v := range map[string]string{"state": o.state, "provider": o.provider, "q": o.q} {
		if v != "" {
			q.Set(k, v)
		}
	}
	if o.limit < 0 {
		return fmt.Errorf("%w: --limit %d: want a positive number", ErrUsage, o.limit)
	}
	if o.limit > 0 {
		q.Set("limit", strconv.Itoa(o.limit))
	}
	var res struct {
		Envelopes []envelopeView `json:"envelopes"`
		Scanned   int            `json:"scanned"`
		Truncated bool           `json:"truncated"`
	}
	data, err := c.get(ctx, "/v1/tenants/"+url.PathEscape(args[0])+"/envelopes", q, &res)
	if err != nil {
		return err
	}
	if c.json {
		return c.printJSON(data)
	}
	if len(res.Envelopes) == 0 {
		_, err := fmt.Fprintf(c.stdout, "no envelopes match (%d scanned)\n", res.Scanned)
		return err
	}
	t := newTable(c.stdout, "ENVELOPE", "PROVIDER", "STATE", "RECIPIENTS", "UPDATED", "SEQ")
	for _, e := range res.Envelopes {
		t.row(e.EnvelopeID, e.Provider, e.State, strconv.Itoa(len(e.Recipients)), when(e.UpdatedAt), strconv.FormatUint(e.LedgerSeq, 10))
	}
	if err := t.flush(); err != nil {
		return err
	}
	more := ""
	if res.Truncated {
		more = "; more match — narrow the search or raise --limit"
	}
	_, err = fmt.Fprintf(c.stdout, "\n%d envelopes (%d scanned%s)\n", len(res.Envelopes), res.Scanned, more)
	return err
}
