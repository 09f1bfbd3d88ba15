package countersignctl

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"time"
)

func auditFlags(fs *flag.FlagSet, o *opts) {
	fs.StringVar(&o.tenant, "tenant", "", "only this tenant's actions")
	fs.StringVar(&o.since, "since", "", "since (RFC 3339 or a duration ago; server default 30 days)")
	fs.IntVar(&o.limit, "limit", 0, "the newest this many (server default 100, at most 1000)")
}

// auditList shows GET /v1/audit newest first.
func auditList(ctx context.Context, c *session, _ []string, o *opts) error {
	q := url.Values{}
	if o.tenant != "" {
		q.Set("tenant", o.tenant)
	}
	if o.since != "" {
		t, err := parseWhen("since", o.since, time.Now())
		if err != nil {
			return err
		}
		q.Set("since", t)
	}
	if o.limit < 0 {
		return fmt.Errorf("%w: --limit %d: want a positive number", ErrUsage, o.limit)
	}
	if o.limit > 0 {
		q.Set("limit", strconv.Itoa(o.limit))
	}
	var res struct {
		Records []struct {
			At      time.Time       `json:"at"`
			Token   string          `json:"token"`
			Action  string          `json:"action"`
			Path    string          `json:"path"`
			Tenant  string          `json:"tenant"`
			Status  int             `json:"status"`
			Request json.RawMessage `json:"request"`
		} `json:"records"`
	}
	data, err := c.get(ctx, "/v1/audit", q, &res)
	if err != nil {
		return err
	}
	if c.json {
		return c.printJSON(data)
	}
	if len(res.Records) == 0 {
		_, err := fmt.Fprintln(c.stdout, "no actions recorded")
		return err
	}
	slices.Reverse(res.Records) // the API answers oldest first
	t := newTable(c.stdout, "AT", "TOKEN", "ACTION", "TENANT", "STATUS", "REQUEST")
	for _, r := range res.Records {
		t.row(when(r.At), r.Token, r.Action, orDash(r.Tenant), strconv.Itoa(r.Status), short(orDash(string(r.Request)), 80))
	}
	return t.flush()
}
