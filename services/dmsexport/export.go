package dmsexport

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/countersign/countersign/services/dmsexport/target"
	"github.com/countersign/countersign/shared/bus"
	"github.com/countersign/countersign/shared/envelope"
	"github.com/countersign/countersign/shared/exportapi"
	"github.com/countersign/countersign/shared/providers"
)

// Artefact names countersign adds to the provider's documents.
const (
	LedgerName   = "ledger.json"
	ManifestName = "manifest.json"
)

// Stages of an export, named in errors and dead letters.
const (
	stageList     = "list"
	stageDownload = "download"
	stageStore    = "store"
	stageVerify   = "verify"
	stageLedger   = "ledger"
	stageRecord   = "record"
	stagePublish  = "publish"
	stagePurge    = "purge"
)

// stageError says where an export failed: the stage and the artefact.
type stageError struct {
	stage, artefact string
	err             error
}

func (e *stageError) Error() string {
	if e.artefact == "" {
		return "stage " + e.stage + ": " + e.err.Error()
	}
	return "stage " + e.stage + ", artefact " + e.artefact + ": " + e.err.Error()
}

func (e *stageError) Unwrap() error { return e.err }

func failAt(stage, artefact string, err error) error {
	if err == nil {
		return nil
	}
	return &stageError{stage: stage, artefact: artefact, err: err}
}

// export runs one job. Errors are transient (nak with backoff; the DLQ on
// the last delivery) unless the provider no longer has the envelope or
// the ledger cannot be verified, which no retry cures. The dead letter's
// error names the stage and the artefact that failed.
func (s *Service) export(ctx context.Context, m *bus.Message) error {
	var j Job
	if err := json.Unmarshal(m.Data, &j); err != nil {
		return bus.Permanent(fmt.Errorf("decode export job: %w", err))
	}
	tn := s.tenant(j.Tenant)
	if tn == nil || tn.clients[j.Provider] == nil {
		return bus.Permanent(fmt.Errorf("dmsexport: %s/%s: no export configured for provider %s", j.Tenant, j.EnvelopeID, j.Provider))
	}
	rec, err := s.records.create(ctx, &Record{Job: j, State: exportapi.StatePending, QueuedAt: m.Timestamp.UTC()})
	if err != nil {
		return err
	}
	if j.Run < rec.Run || (rec.State == exportapi.StateExported && (!tn.purge || rec.PurgeSettled)) {
		return nil // a stale or repeated job: its export has settled
	}
	if rec.State == exportapi.StateFailed {
		// A dead letter replayed after the cause was fixed: try again.
		if rec, err = s.records.update(ctx, j.Tenant, j.EnvelopeID, func(r *Record) error {
			r.State = exportapi.StatePending
			return nil
		}); err != nil {
			return err
		}
	}
	start := s.cfg.Now()
	outcome, err := s.run(ctx, tn, tn.clients[j.Provider], rec)
	s.metrics.duration.WithLabelValues(j.Provider).Observe(s.cfg.Now().Sub(start).Seconds())
	if err == nil {
		s.metrics.exports.WithLabelValues(j.Tenant, j.Provider, outcome).Inc()
		return nil
	}
	if errors.Is(err, errAwaitLedger) && m.Delivered < s.maxDeliver() {
		return err // statesync has not applied exported yet: not a failure
	}
	var se *stageError
	if !errors.As(err, &se) {
		err = failAt(stageRecord, "", err)
	}
	if errors.Is(err, providers.ErrNotFound) || errors.Is(err, ErrLedger) {
		err = bus.Permanent(err)
	}
	last := bus.IsPermanent(err) || m.Delivered >= s.maxDeliver()
	msg := err.Error()
	final, uerr := s.records.update(ctx, j.Tenant, j.EnvelopeID, func(r *Record) error {
		r.Error = msg
		if last && r.Run == j.Run {
			r.State = exportapi.StateFailed
		}
		return nil
	})
	if last {
		s.metrics.exports.WithLabelValues(j.Tenant, j.Provider, "failed").Inc()
		s.log.Error("export failed", "tenant", j.Tenant, "envelope", j.EnvelopeID, "provider", j.Provider, "err", msg)
		if uerr == nil {
			s.notifyFailed(ctx, *final)
			if s.cfg.Failed != nil {
				s.cfg.Failed(ctx, *final)
			}
		}
	} else {
		s.metrics.exports.WithLabelValues(j.Tenant, j.Provider, "retry").Inc()
		s.log.Warn("export attempt failed, will retry", "tenant", j.Tenant, "envelope", j.EnvelopeID, "attempt", m.Delivered, "err", msg)
	}
	if errors.Is(err, providers.ErrNotReady) {
		// Files still being prepared: wait longer each time, so the
		// deliveries before the DLQ span minutes, not seconds.
		return bus.Retry(err, min(NotReadyDelay<<min(m.Delivered-1, 10), NotReadyMaxDelay))
	}
	return err
}

func (s *Service) maxDeliver() int {
	if s.cfg.Topology.MaxDeliver > 0 {
		return s.cfg.Topology.MaxDeliver
	}
	return bus.DefaultMaxDeliver
}

// run stores what is missing, writes the manifest, records the export in
// the ledger and purges if the tenant asks. It returns the outcome label.
func (s *Service) run(ctx context.Context, tn *tenant, client providers.DocumentClient, rec *Record) (string, error) {
	if rec.State == exportapi.StatePending || rec.ManifestSHA256 == "" {
		var err error
		if rec, err = s.store(ctx, tn, client, rec); err != nil {
			return "", err
		}
	}
	exported := auditEvent(rec, envelope.TypeExported, *rec.ExportedAt, map[string]string{
		"location": rec.Location, "manifest_sha256": rec.ManifestSHA256,
	})
	if err := publishEvent(ctx, s.cfg.JS, exported); err != nil {
		return "", failAt(stagePublish, "", err)
	}
	if !tn.purge {
		return "exported", nil
	}
	return s.purge(ctx, client, rec, exported)
}

// store writes every artefact the target does not already hold
// byte-exact, then the manifest, and marks the record exported.
func (s *Service) store(ctx context.Context, tn *tenant, client providers.DocumentClient, rec *Record) (*Record, error) {
	docs, err := client.Documents(ctx, rec.EnvelopeID)
	if err != nil {
		return nil, failAt(stageList, "", err)
	}
	names := make([]string, 0, len(docs)+1)
	for _, d := range docs {
		names = append(names, d.Name)
		if s.holds(ctx, tn, rec, d.Name) {
			continue
		}
		a, err := s.put(ctx, tn.target, keyOf(rec.Tenant, rec.EnvelopeID, d.Name), d.Name, func() (io.ReadCloser, int64, error) {
			return client.Download(ctx, rec.EnvelopeID, d)
		})
		if err != nil {
			return nil, err
		}
		if rec, err = s.progress(ctx, rec, a); err != nil {
			return nil, err
		}
	}
	names = append(names, LedgerName)
	if !s.holds(ctx, tn, rec, LedgerName) {
		ledger, err := ledgerSnapshot(ctx, s.cfg.JS, rec.Tenant, rec.EnvelopeID, rec.CompletedSeq)
		if err != nil {
			return nil, failAt(stageLedger, LedgerName, err)
		}
		a, err := s.put(ctx, tn.target, keyOf(rec.Tenant, rec.EnvelopeID, LedgerName), LedgerName, bytesOpener(ledger))
		if err != nil {
			return nil, err
		}
		if rec, err = s.progress(ctx, rec, a); err != nil {
			return nil, err
		}
	}
	man := Manifest{Tenant: rec.Tenant, Provider: rec.Provider, EnvelopeID: rec.EnvelopeID, CompletedAt: rec.CompletedAt, Artefacts: []artefact{}}
	for _, n := range names {
		a, _ := rec.artefact(n)
		man.Artefacts = append(man.Artefacts, artefact(a))
	}
	body, err := json.MarshalIndent(man, "", "  ")
	if err != nil {
		return nil, failAt(stageStore, ManifestName, err)
	}
	body = append(body, '\n')
	manKey := keyOf(rec.Tenant, rec.EnvelopeID, ManifestName)
	ma, err := s.put(ctx, tn.target, manKey, ManifestName, bytesOpener(body))
	if err != nil {
		return nil, err
	}
	now := s.cfg.Now().UTC()
	location := strings.TrimSuffix(tn.target.Location(manKey), ManifestName)
	rec, err = s.records.update(ctx, rec.Tenant, rec.EnvelopeID, func(r *Record) error {
		r.State = exportapi.StateExported
		r.Location = location
		r.ManifestSHA256 = ma.SHA256
		r.Error = ""
		if r.ExportedAt == nil {
			r.ExportedAt = &now
		}
		return nil
	})
	if err != nil {
		return nil, failAt(stageRecord, ManifestName, err)
	}
	return rec, nil
}

// holds reports whether the record lists name as stored and the target
// still holds exactly those bytes (a resumed or repeated export skips it).
func (s *Service) holds(ctx context.Context, tn *tenant, rec *Record, name string) bool {
	a, ok := rec.artefact(name)
	if !ok {
		return false
	}
	info, err := target.Stat(ctx, tn.target, keyOf(rec.Tenant, rec.EnvelopeID, name))
	return err == nil && info.Size == a.Size && info.SHA256 == a.SHA256
}

// progress records one stored artefact, so a retry does not redo it.
func (s *Service) progress(ctx context.Context, rec *Record, a exportapi.Artefact) (*Record, error) {
	s.metrics.bytes.WithLabelValues(rec.Tenant, rec.Provider).Add(float64(a.Size))
	next, err := s.records.update(ctx, rec.Tenant, rec.EnvelopeID, func(r *Record) error {
		r.setArtefact(a)
		return nil
	})
	if err != nil {
		return nil, failAt(stageRecord, a.Name, err)
	}
	return next, nil
}

// put streams one artefact from open into the target, hashing it on the
// way (never holding it whole), then reads back what the target holds and
// compares size and SHA-256.
func (s *Service) put(ctx context.Context, tg target.Target, key, name string, open func() (io.ReadCloser, int64, error)) (exportapi.Artefact, error) {
	body, size, err := open()
	if err != nil {
		return exportapi.Artefact{}, failAt(stageDownload, name, err)
	}
	defer body.Close()
	h := sha256.New()
	c := &counter{}
	r := io.TeeReader(body, io.MultiWriter(h, c))
	if err := tg.Put(ctx, key, r, size); err != nil {
		// A failing download surfaces through the target's read.
		return exportapi.Artefact{}, failAt(stageStore, name, err)
	}
	// The target read what it was told to; anything left means the
	// announced length was wrong and what is stored is not the document.
	if extra, err := io.Copy(io.Discard, r); err != nil || extra > 0 {
		return exportapi.Artefact{}, failAt(stageDownload, name, fmt.Errorf("%w: %d bytes beyond the announced %d (%v)", ErrTruncated, extra, size, err))
	}
	if size >= 0 && c.n != size {
		return exportapi.Artefact{}, failAt(stageDownload, name, fmt.Errorf("%w: %d of %d bytes", ErrTruncated, c.n, size))
	}
	a := exportapi.Artefact{Name: name, Size: c.n, SHA256: hex.EncodeToString(h.Sum(nil))}
	info, err := target.Stat(ctx, tg, key)
	if err != nil {
		return exportapi.Artefact{}, failAt(stageVerify, name, err)
	}
	if info.Size != a.Size || info.SHA256 != a.SHA256 {
		return exportapi.Artefact{}, failAt(stageVerify, name, fmt.Errorf("%w: wrote %d bytes %s, target holds %d bytes %s", ErrVerify, a.Size, a.SHA256, info.Size, info.SHA256))
	}
	return a, nil
}

// counter counts bytes written to it.
type counter struct{ n int64 }

func (c *counter) Write(p []byte) (int, error) {
	c.n += int64(len(p))
	return len(p), nil
}

func bytesOpener(b []byte) func() (io.ReadCloser, int64, error) {
	return func() (io.ReadCloser, int64, error) {
		return io.NopCloser(strings.NewReader(string(b))), int64(len(b)), nil
	}
}
