package countersignctl

import (
	"context"
	"flag"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// deadLetter is what the table shows of a GET /v1/dlq entry.
type deadLetter struct {
	ID           string     `json:"id"`
	Service      string     `json:"service"`
	Tenant       string     `json:"tenant"`
	EnvelopeID   string     `json:"envelope_id"`
	Subject      string     `json:"subject"`
	Error        string     `json:"error"`
	ErrorClass   string     `json:"error_class"`
	Attempts     int        `json:"attempts"`
	DeadAt       time.Time  `json:"dead_at"`
	ReplayedAt   *time.Time `json:"replayed_at"`
	ReplayResult string     `json:"replay_result"`
}

// replayRequest is POST /v1/replay's body.
type replayRequest struct {
	IDs     []string `json:"ids,omitempty"`
	Since   string   `json:"since,omitempty"`
	Until   string   `json:"until,omitempty"`
	Tenant  string   `json:"tenant,omitempty"`
	Service string   `json:"service,omitempty"`
	Class   string   `json:"class,omitempty"`
	DryRun  bool     `json:"dry_run"`
	Force   bool     `json:"force,omitempty"`
}

// replayResult is POST /v1/replay's answer.
type replayResult struct {
	Matched   int      `json:"matched"`
	Replayed  int      `json:"replayed"`
	Skipped   int      `json:"skipped"`
	Failed    int      `json:"failed"`
	NotFound  []string `json:"not_found"`
	Truncated bool     `json:"truncated"`
}

func filterFlags(fs *flag.FlagSet, o *opts) {
	fs.StringVar(&o.tenant, "tenant", "", "only this tenant")
	fs.StringVar(&o.service, "service", "", "only this service (verifier, statesync, …)")
	fs.StringVar(&o.class, "class", "", "only this error class (permanent, transient, panic, max_deliveries)")
	fs.StringVar(&o.since, "since", "", "dead since (RFC 3339 or a duration ago)")
	fs.StringVar(&o.until, "until", "", "dead until (RFC 3339 or a duration ago)")
}

func dlqFlags(fs *flag.FlagSet, o *opts) {
	filterFlags(fs, o)
	fs.IntVar(&o.limit, "limit", 0, "at most this many entries (server default 100, at most 1000)")
}

func replayFlags(fs *flag.FlagSet, o *opts) {
	filterFlags(fs, o)
	fs.StringVar(&o.ids, "ids", "", "comma-separated DLQ entry ids")
	fs.BoolVar(&o.yes, "yes", false, "replay for real (without it: a dry run)")
	fs.BoolVar(&o.force, "force", false, "replay entries already replayed once")
}

func dlqList(ctx context.Context, c *session, _ []string, o *opts) error {
	q := url.Values{}
	for k, v := range map[string]string{"tenant": o.tenant, "service": o.service, "class": o.class} {
		if v != "" {
			q.Set(k, v)
		}
	}
	now := time.Now()
	for k, v := range map[string]string{"since": o.since, "until": o.until} {
		if v == "" {
			continue
		}
		t, err := parseWhen(k, v, now)
		if err != nil {
			return err
		}
		q.Set(k, t)
	}
	if o.limit < 0 {
		return fmt.Errorf("%w: --limit %d: want a positive number", ErrUsage, o.limit)
	}
	if o.limit > 0 {
		q.Set("limit", strconv.Itoa(o.limit))
	}
	var list struct {
		Entries []deadLetter `json:"entries"`
	}
	data, err := c.get(ctx, "/v1/dlq", q, &list)
	if err != nil {
		return err
	}
	if c.json {
		return c.printJSON(data)
	}
	if len(list.Entries) == 0 {
		_, err := fmt.Fprintln(c.stdout, "no dead letters match")
		return err
	}
	t := newTable(c.stdout, "DEAD AT", "SERVICE", "TENANT", "ENVELOPE", "CLASS", "ATTEMPTS", "REPLAYED", "ID", "ERROR")
	for _, d := range list.Entries {
		replayed := "-"
		if d.ReplayedAt != nil {
			replayed = when(*d.ReplayedAt)
		}
		t.row(when(d.DeadAt), d.Service, orDash(d.Tenant), orDash(d.EnvelopeID), d.ErrorClass,
			strconv.Itoa(d.Attempts), replayed, d.ID, short(d.Error, 60))
	}
	if err := t.flush(); err != nil {
		return err
	}
	_, err = fmt.Fprintf(c.stdout, "\n%d dead letters\n", len(list.Entries))
	return err
}

// replay selects dead letters by ids or by a time window (with the
// filters) and asks the server to replay them — as a dry run, which only
// counts, unless --yes.
func replay(ctx context.Context, c *session, _ []string, o *opts) error {
	req := replayRequest{Tenant: o.tenant, Service: o.service, Class: o.class, DryRun: !o.yes, Force: o.force}
	switch {
	case o.ids != "" && (o.since != "" || o.until != ""):
		return fmt.Errorf("%w: replay takes --ids or --since/--until, not both", ErrUsage)
	case o.ids != "":
		for _, id := range strings.Split(o.ids, ",") {
			if id = strings.TrimSpace(id); id != "" {
				req.IDs = append(req.IDs, id)
			}
		}
		if len(req.IDs) == 0 {
			return fmt.Errorf("%w: --ids: no ids", ErrUsage)
		}
	case o.since != "":
		now := time.Now()
		var err error
		if req.Since, err = parseWhen("since", o.since, now); err != nil {
			return err
		}
		// Without --until the window ends now: "everything since".
		until := o.until
		if until == "" {
			until = now.UTC().Format(time.RFC3339Nano)
		}
		if req.Until, err = parseWhen("until", until, now); err != nil {
			return err
		}
	default:
		return fmt.Errorf("%w: replay needs --ids ID,… or --since T [--until T]", ErrUsage)
	}
	var res replayResult
	data, err := c.post(ctx, "/v1/replay", req, &res)
	if err != nil {
		return err
	}
	if c.json {
		err = c.printJSON(data)
	} else {
		err = printReplay(c, req, res)
	}
	if err != nil {
		return err
	}
	switch {
	case res.Failed > 0:
		return fmt.Errorf("%d of %d dead letters could not be republished; they stay unreplayed (run again)", res.Failed, res.Matched)
	case len(res.NotFound) > 0:
		return fmt.Errorf("no dead letter with id %s", strings.Join(res.NotFound, ", "))
	}
	return nil
}

func printReplay(c *session, req replayRequest, res replayResult) error {
	var msg string
	if req.DryRun {
		msg = fmt.Sprintf("dry run: %d dead letters match, %d already replayed (--force to replay them again); nothing was replayed — add --yes to replay",
			res.Matched, res.Skipped)
	} else {
		msg = fmt.Sprintf("replayed %d of %d matching dead letters (%d skipped as already replayed, %d failed)",
			res.Replayed, res.Matched, res.Skipped, res.Failed)
	}
	if res.Truncated {
		msg += "\nthe selection was larger than one replay handles: only the first part was taken — run again"
	}
	_, err := fmt.Fprintln(c.stdout, msg)
	return err
}
