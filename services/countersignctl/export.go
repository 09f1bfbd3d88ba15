package countersignctl

import (
	"context"
	"fmt"
	"strconv"
)

// exportView is GET/POST /v1/tenants/{t}/envelopes/{id}/export.
type exportView struct {
	State      string `json:"state"`
	Location   string `json:"location"`
	ExportedAt string `json:"exported_at"`
	PurgedAt   string `json:"purged_at"`
	Error      string `json:"error"`
	Artefacts  []struct {
		Name   string `json:"name"`
		Size   int64  `json:"size"`
		SHA256 string `json:"sha256"`
	} `json:"artefacts"`
}

func exportShow(ctx context.Context, c *session, args []string, _ *opts) error {
	var v exportView
	data, err := c.get(ctx, envelopePath(args[0], args[1], "/export"), nil, &v)
	if err != nil {
		return err
	}
	return c.printExport(data, v)
}

// exportRun exports the envelope again: the server makes it idempotent.
func exportRun(ctx context.Context, c *session, args []string, _ *opts) error {
	var v exportView
	data, err := c.post(ctx, envelopePath(args[0], args[1], "/export"), struct{}{}, &v)
	if err != nil {
		return err
	}
	return c.printExport(data, v)
}

func (c *session) printExport(data []byte, v exportView) error {
	if c.json {
		return c.printJSON(data)
	}
	if err := fields(c.stdout,
		"state", orDash(v.State),
		"location", orDash(v.Location),
		"exported", orDash(v.ExportedAt),
		"purged", orDash(v.PurgedAt),
		"error", orDash(v.Error),
	); err != nil {
		return err
	}
	if len(v.Artefacts) == 0 {
		return nil
	}
	fmt.Fprintln(c.stdout)
	t := newTable(c.stdout, "ARTEFACT", "SIZE", "SHA-256")
	for _, a := range v.Artefacts {
		t.row(a.Name, strconv.FormatInt(a.Size, 10), a.SHA256)
	}
	return t.flush()
}
