package demo

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/countersign/countersign/services/dmsexport/target"
	"github.com/countersign/countersign/shared/envelope"
	"github.com/countersign/countersign/shared/exportapi"
	"github.com/countersign/countersign/tests/sandbox"
)

// exportKinds are the providers whose completed envelopes are exported
// (those with an API to download from).
var exportKinds = map[string]bool{
	sandbox.KindDocuSign: true, sandbox.KindDropboxSign: true, sandbox.KindAdobeSign: true, sandbox.KindESignAnyWhere: true,
}

// Export returns the DMS export of tenant's envelope id; errors as Envelope.
func (a *Admin) Export(ctx context.Context, tenant, id string) (exportapi.Status, error) {
	var st exportapi.Status
	return st, a.get(ctx, envelopePath(tenant, id)+"/export", &st)
}

// checkExports waits until every envelope countersign holds as completed
// at a provider with an API is exported into the default target (the
// embedded JetStream object store), then checks each one there: its
// manifest lists what the export reports, and every artefact it lists is
// stored with that size and SHA-256; the ledger snapshot verifies.
func (r *Result) checkExports(ctx context.Context, a *Admin, natsURL string, envs []*sandbox.Envelope, wait time.Duration) error {
	nc, err := nats.Connect(natsURL, nats.Name("countersign-demo"))
	if err != nil {
		return fmt.Errorf("demo: connect %s: %w", natsURL, err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return fmt.Errorf("demo: jetstream: %w", err)
	}
	var due []*sandbox.Envelope
	for _, e := range envs {
		if !exportKinds[e.Provider] {
			continue
		}
		v, err := a.Envelope(ctx, e.Tenant, e.ID)
		if err == nil && v.State == string(envelope.StateCompleted) {
			due = append(due, e)
		}
	}
	r.ExportsDue = len(due)
	deadline := time.Now().Add(wait)
	pending := due
	start := time.Now()
	for len(pending) > 0 && time.Now().Before(deadline) {
		var still []*sandbox.Envelope
		for _, e := range pending {
			st, err := a.Export(ctx, e.Tenant, e.ID)
			if err != nil || st.State != exportapi.StateExported {
				still = append(still, e)
			}
		}
		pending = still
		if len(pending) > 0 {
			time.Sleep(pollInterval)
		}
	}
	r.ExportTime = time.Since(start)
	var obs *target.ObjectStore
	if len(due) > 0 {
		if obs, err = target.OpenObjectStore(ctx, js, "exports", 1); err != nil {
			return fmt.Errorf("demo: %w", err)
		}
	}
	for _, e := range due {
		st, err := a.Export(ctx, e.Tenant, e.ID)
		if err == nil && st.State != exportapi.StateExported {
			err = fmt.Errorf("export %s (%s)", st.State, st.Error)
		}
		if err == nil {
			err = checkManifest(ctx, obs, e, st)
		}
		if err != nil {
			r.ExportProblems = append(r.ExportProblems, fmt.Errorf("%s %s: %w", e.Provider, e.ID, err))
			continue
		}
		r.Exported++
	}
	return nil
}

// checkManifest reads the envelope's manifest from the object store and
// checks every artefact it lists against the store and the export status.
func checkManifest(ctx context.Context, obs *target.ObjectStore, e *sandbox.Envelope, st exportapi.Status) error {
	prefix := e.Tenant + "/" + envelope.Token(e.ID) + "/"
	read := func(name string) ([]byte, error) {
		rc, err := obs.Get(ctx, prefix+name)
		if err != nil {
			return nil, err
		}
		defer rc.Close()
		return io.ReadAll(rc)
	}
	b, err := read("manifest.json")
	if err != nil {
		return err
	}
	var man struct {
		Tenant     string               `json:"tenant"`
		Provider   string               `json:"provider"`
		EnvelopeID string               `json:"envelope_id"`
		Artefacts  []exportapi.Artefact `json:"artefacts"`
	}
	if err := json.Unmarshal(b, &man); err != nil {
		return fmt.Errorf("manifest: %w", err)
	}
	if man.Tenant != e.Tenant || man.Provider != e.Provider || man.EnvelopeID != e.ID || len(man.Artefacts) < 2 {
		return fmt.Errorf("manifest names %s/%s/%s with %d artefacts", man.Tenant, man.Provider, man.EnvelopeID, len(man.Artefacts))
	}
	if len(st.Artefacts) != len(man.Artefacts) {
		return fmt.Errorf("manifest lists %d artefacts, the export %d", len(man.Artefacts), len(st.Artefacts))
	}
	for i, a := range man.Artefacts {
		if st.Artefacts[i] != a {
			return fmt.Errorf("manifest %+v, export says %+v", a, st.Artefacts[i])
		}
		data, err := read(a.Name)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(data)
		if int64(len(data)) != a.Size || hex.EncodeToString(sum[:]) != a.SHA256 {
			return fmt.Errorf("%s: stored %d bytes %x, manifest says %d %s", a.Name, len(data), sum, a.Size, a.SHA256)
		}
		if a.Name == "ledger.json" {
			var l struct {
				Entries []json.RawMessage `json:"entries"`
			}
			if err := json.Unmarshal(data, &l); err != nil {
				return fmt.Errorf("ledger.json: %w", err)
			}
			raw := make([][]byte, len(l.Entries))
			for j := range l.Entries {
				raw[j] = l.Entries[j]
			}
			if err := envelope.VerifyChain(raw); err != nil {
				return fmt.Errorf("ledger.json: %w", err)
			}
		}
	}
	return nil
}

// ErrExport is returned (wrapped) by Run when a completed envelope was not
// exported, or its export does not check out against its manifest.
var ErrExport = errors.New("demo: export missing or wrong")
