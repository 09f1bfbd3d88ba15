package countersignctl

import (
	"context"
	"flag"
	"fmt"
	"net/url"
	"time"
)

func reconcileFlags(fs *flag.FlagSet, o *opts) {
	fs.StringVar(&o.since, "since", "", "poll from here (RFC 3339 or a duration ago; default: the reconciler's cursor)")
}

// reconcile runs one reconciliation window now (POST /v1/reconcile), or
// with the tenant alone shows what the reconciler keeps per provider.
func reconcile(ctx context.Context, c *session, args []string, o *opts) error {
	if len(args) == 1 {
		if o.since != "" {
			return fmt.Errorf("%w: --since runs a window: name the provider too", ErrUsage)
		}
		return reconcileStatus(ctx, c, args[0])
	}
	req := struct {
		Tenant   string `json:"tenant"`
		Provider string `json:"provider"`
		Since    string `json:"since,omitempty"`
	}{Tenant: args[0], Provider: args[1]}
	if o.since != "" {
		var err error
		if req.Since, err = parseWhen("since", o.since, time.Now()); err != nil {
			return err
		}
	}
	var res struct {
		Checked   int `json:"checked"`
		Drift     int `json:"drift"`
		Published int `json:"published"`
	}
	data, err := c.post(ctx, "/v1/reconcile", req, &res)
	if err != nil {
		return err
	}
	if c.json {
		return c.printJSON(data)
	}
	_, err = fmt.Fprintf(c.stdout, "reconciled %s/%s: %d envelopes checked, %d drifted, %d events published\n",
		req.Tenant, req.Provider, res.Checked, res.Drift, res.Published)
	return err
}

// reconcileStatus shows GET /v1/tenants/{t}/reconcile.
func reconcileStatus(ctx context.Context, c *session, tenant string) error {
	var st struct {
		Providers []struct {
			Provider    string    `json:"provider"`
			Since       time.Time `json:"since"`
			LastRound   time.Time `json:"last_round"`
			LeaseHolder string    `json:"lease_holder"`
			LeaseUntil  time.Time `json:"lease_until"`
		} `json:"providers"`
	}
	data, err := c.get(ctx, "/v1/tenants/"+url.PathEscape(tenant)+"/reconcile", nil, &st)
	if err != nil {
		return err
	}
	if c.json {
		return c.printJSON(data)
	}
	if len(st.Providers) == 0 {
		_, err := fmt.Fprintf(c.stdout, "no provider of %s has been reconciled yet (providers need an api: section)\n", tenant)
		return err
	}
	t := newTable(c.stdout, "PROVIDER", "LAST ROUND", "POLLS FROM", "LEASE")
	for _, p := range st.Providers {
		lease := "-"
		if p.LeaseHolder != "" {
			lease = p.LeaseHolder + " until " + when(p.LeaseUntil)
		}
		t.row(p.Provider, when(p.LastRound), when(p.Since), lease)
	}
	return t.flush()
}
