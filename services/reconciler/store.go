package reconciler

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/countersign/countersign/shared/bus"
	"github.com/countersign/countersign/shared/envelope"
)

// Cursor is what the reconciler remembers of one (tenant, provider)
// between rounds, in the cursors bucket.
type Cursor struct {
	// Since is where the next "changed since" poll starts.
	Since time.Time `json:"since"`
	// LastRound is when the last round finished.
	LastRound time.Time `json:"last_round"`
}

// kvStore keeps records, cursors, per-envelope check times and poll
// leases in JetStream KV. Keys in the cursors bucket:
//
//	cursor.<tenant>.<provider>            Cursor
//	checked.<tenant>.<provider>.<token>   last single-envelope GET (RFC 3339)
//	lease.<tenant>.<provider>             the poll lease
type kvStore struct {
	records *bus.Records
	cursors jetstream.KeyValue
	leases  *bus.Leases
}

// newKVStore opens the buckets bus.Setup created.
func newKVStore(ctx context.Context, js jetstream.JetStream, holder string, now func() time.Time) (*kvStore, error) {
	rec, err := bus.OpenRecords(ctx, js)
	if err != nil {
		return nil, fmt.Errorf("reconciler: %w", err)
	}
	cur, err := js.KeyValue(ctx, bus.BucketCursors)
	if err != nil {
		return nil, fmt.Errorf("reconciler: bucket %s: %w", bus.BucketCursors, err)
	}
	return &kvStore{records: rec, cursors: cur, leases: bus.NewLeases(cur, holder, now)}, nil
}

// Record implements Records.
func (s *kvStore) Record(ctx context.Context, tenant, envelopeID string) (*envelope.Record, error) {
	rec, rev, err := s.records.Get(ctx, tenant, envelopeID)
	if err != nil || rev == 0 {
		return nil, err
	}
	return &rec, nil
}

// Scan implements Records.
func (s *kvStore) Scan(ctx context.Context, tenant string, fn func(*envelope.Record)) error {
	return s.records.Scan(ctx, tenant, fn)
}

func cursorKey(tenant, provider string) string { return "cursor." + tenant + "." + provider }

func checkedKey(tenant, provider, envelopeID string) string {
	return "checked." + tenant + "." + provider + "." + envelope.Token(envelopeID)
}

// Cursor implements Cursors; a missing cursor is the zero Cursor.
func (s *kvStore) Cursor(ctx context.Context, tenant, provider string) (Cursor, error) {
	var c Cursor
	e, err := s.cursors.Get(ctx, cursorKey(tenant, provider))
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return c, nil
	}
	if err != nil {
		return c, fmt.Errorf("reconciler: read cursor %s/%s: %w", tenant, provider, err)
	}
	if err := json.Unmarshal(e.Value(), &c); err != nil {
		return c, fmt.Errorf("reconciler: decode cursor %s/%s: %w", tenant, provider, err)
	}
	return c, nil
}

// SetCursor implements Cursors. Only the lease holder writes it, so a
// plain put is enough.
func (s *kvStore) SetCursor(ctx context.Context, tenant, provider string, c Cursor) error {
	b, err := json.Marshal(c)
	if err != nil {
		return fmt.Errorf("reconciler: encode cursor: %w", err)
	}
	if _, err := s.cursors.Put(ctx, cursorKey(tenant, provider), b); err != nil {
		return fmt.Errorf("reconciler: write cursor %s/%s: %w", tenant, provider, err)
	}
	return nil
}

// LastChecked implements Cursors (zero time: never checked).
func (s *kvStore) LastChecked(ctx context.Context, tenant, provider, envelopeID string) (time.Time, error) {
	e, err := s.cursors.Get(ctx, checkedKey(tenant, provider, envelopeID))
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("reconciler: read check time: %w", err)
	}
	t, err := time.Parse(time.RFC3339Nano, string(e.Value()))
	if err != nil {
		return time.Time{}, fmt.Errorf("reconciler: decode check time: %w", err)
	}
	return t, nil
}

// SetChecked implements Cursors.
func (s *kvStore) SetChecked(ctx context.Context, tenant, provider, envelopeID string, at time.Time) error {
	if _, err := s.cursors.PutString(ctx, checkedKey(tenant, provider, envelopeID), at.UTC().Format(time.RFC3339Nano)); err != nil {
		return fmt.Errorf("reconciler: write check time: %w", err)
	}
	return nil
}

// Acquire implements Leases with bus.Leases on lease.<tenant>.<provider>
// of the cursors bucket; a lease held elsewhere is ErrLeaseHeld.
func (s *kvStore) Acquire(ctx context.Context, tenant, provider string, ttl time.Duration) (func(), error) {
	release, err := s.leases.Acquire(ctx, "lease."+tenant+"."+provider, ttl)
	if errors.Is(err, bus.ErrLeaseHeld) {
		return nil, fmt.Errorf("%w: %w", ErrLeaseHeld, err)
	}
	return release, err
}
