package dmsexport

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/countersign/countersign/shared/envelope"
	"github.com/countersign/countersign/shared/exportapi"
)

// BucketExports is the KV bucket of export records, one per envelope,
// keyed like the envelope records (<tenant>.<envelope token>).
const BucketExports = "exports"

// casAttempts bounds retries of a record write that lost a race.
const casAttempts = 16

// Record is an envelope's export: its progress artefact by artefact (so a
// retry or a crash resumes with what is not yet stored), its outcome and
// the purge markers.
type Record struct {
	Job
	State string `json:"state"`
	// Location is the envelope's folder in the target.
	Location string `json:"location,omitempty"`
	// Artefacts are stored and verified, in the order written.
	Artefacts []exportapi.Artefact `json:"artefacts,omitempty"`
	// ManifestSHA256 is the manifest's hash once it is written.
	ManifestSHA256 string     `json:"manifest_sha256,omitempty"`
	QueuedAt       time.Time  `json:"queued_at"`
	ExportedAt     *time.Time `json:"exported_at,omitempty"`
	// PurgeStartedAt is written before the provider's delete is called,
	// PurgedAt after it succeeded (see purge).
	PurgeStartedAt *time.Time `json:"purge_started_at,omitempty"`
	PurgedAt       *time.Time `json:"purged_at,omitempty"`
	// PurgeSettled: the purge is done, unsupported by the provider, or
	// of unknown outcome — in every case never to be called again.
	PurgeSettled bool   `json:"purge_settled,omitempty"`
	Error        string `json:"error,omitempty"`
}

// artefact returns the recorded artefact name, if stored.
func (r *Record) artefact(name string) (exportapi.Artefact, bool) {
	for _, a := range r.Artefacts {
		if a.Name == name {
			return a, true
		}
	}
	return exportapi.Artefact{}, false
}

// setArtefact records a stored artefact, replacing an older one of its name.
func (r *Record) setArtefact(a exportapi.Artefact) {
	for i := range r.Artefacts {
		if r.Artefacts[i].Name == a.Name {
			r.Artefacts[i] = a
			return
		}
	}
	r.Artefacts = append(r.Artefacts, a)
}

// Status is the record as the admin API shows it.
func (r *Record) Status() exportapi.Status {
	arts := r.Artefacts
	if arts == nil {
		arts = []exportapi.Artefact{}
	}
	return exportapi.Status{
		State: r.State, Location: r.Location, Artefacts: arts,
		ExportedAt: r.ExportedAt, PurgedAt: r.PurgedAt, Error: r.Error,
	}
}

// records reads and writes export records by compare-and-set.
type records struct {
	kv jetstream.KeyValue
}

func recordKey(tenant, envelopeID string) string { return envelope.RecordKey(tenant, envelopeID) }

// get returns the record and its revision; nil when there is none.
func (s records) get(ctx context.Context, tenant, envelopeID string) (*Record, uint64, error) {
	e, err := s.kv.Get(ctx, recordKey(tenant, envelopeID))
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return nil, 0, nil
	}
	if err != nil {
		return nil, 0, fmt.Errorf("dmsexport: record %s/%s: %w", tenant, envelopeID, err)
	}
	var r Record
	if err := json.Unmarshal(e.Value(), &r); err != nil {
		return nil, 0, fmt.Errorf("dmsexport: record %s/%s: %w", tenant, envelopeID, err)
	}
	return &r, e.Revision(), nil
}

// create stores r unless a record exists; it returns the stored record
// (r, or the existing one) either way.
func (s records) create(ctx context.Context, r *Record) (*Record, error) {
	data, err := json.Marshal(r)
	if err != nil {
		return nil, fmt.Errorf("dmsexport: encode record: %w", err)
	}
	_, err = s.kv.Create(ctx, recordKey(r.Tenant, r.EnvelopeID), data)
	if err == nil {
		return r, nil
	}
	if !errors.Is(err, jetstream.ErrKeyExists) {
		return nil, fmt.Errorf("dmsexport: record %s/%s: %w", r.Tenant, r.EnvelopeID, err)
	}
	cur, _, err := s.get(ctx, r.Tenant, r.EnvelopeID)
	if err != nil {
		return nil, err
	}
	if cur == nil {
		return nil, fmt.Errorf("dmsexport: record %s/%s vanished", r.Tenant, r.EnvelopeID)
	}
	return cur, nil
}

// errNoRecord is returned by update for an envelope without a record.
var errNoRecord = errors.New("dmsexport: no export record")

// update applies f to the current record and writes it by CAS, retrying a
// lost race with f applied to the newer record. f's error aborts.
func (s records) update(ctx context.Context, tenant, envelopeID string, f func(*Record) error) (*Record, error) {
	for range casAttempts {
		r, rev, err := s.get(ctx, tenant, envelopeID)
		if err != nil {
			return nil, err
		}
		if r == nil {
			return nil, errNoRecord
		}
		if err := f(r); err != nil {
			return nil, err
		}
		data, err := json.Marshal(r)
		if err != nil {
			return nil, fmt.Errorf("dmsexport: encode record: %w", err)
		}
		_, err = s.kv.Update(ctx, recordKey(tenant, envelopeID), data, rev)
		if err == nil {
			return r, nil
		}
		if !isWrongRevision(err) {
			return nil, fmt.Errorf("dmsexport: record %s/%s: %w", tenant, envelopeID, err)
		}
	}
	return nil, fmt.Errorf("dmsexport: record %s/%s: too many concurrent writers", tenant, envelopeID)
}

func isWrongRevision(err error) bool {
	return errors.Is(err, jetstream.ErrKeyExists) || errors.Is(err, jetstream.ErrKeyRevisionMismatch)
}
