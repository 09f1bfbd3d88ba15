package bus

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/countersign/countersign/shared/envelope"
)

// ErrRecordChanged is returned (wrapped) by Records.Put when another
// writer updated the record since it was read.
var ErrRecordChanged = errors.New("bus: envelope record changed concurrently")

// Records is the envelope record store, the envelopes KV bucket under
// envelope.RecordKey: statesync reads and writes it by compare-and-set,
// the admin API and the reconciler read it. One reading of the bucket,
// so what a record is and how it is found are decided here only.
type Records struct {
	kv jetstream.KeyValue
}

// OpenRecords opens the envelopes bucket (bus.Setup creates it). The
// error wraps jetstream.ErrBucketNotFound while it does not exist.
func OpenRecords(ctx context.Context, js jetstream.JetStream) (*Records, error) {
	kv, err := js.KeyValue(ctx, BucketEnvelopes)
	if err != nil {
		return nil, fmt.Errorf("bus: bucket %s: %w", BucketEnvelopes, err)
	}
	return &Records{kv: kv}, nil
}

// Get returns an envelope's record and its revision; revision 0 means
// there is none yet (and the record is zero). A value that does not
// decode is Permanent: retrying cannot fix it.
func (r *Records) Get(ctx context.Context, tenant, envelopeID string) (envelope.Record, uint64, error) {
	var rec envelope.Record
	key := envelope.RecordKey(tenant, envelopeID)
	e, err := r.kv.Get(ctx, key)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return rec, 0, nil
	}
	if err != nil {
		return rec, 0, fmt.Errorf("bus: read envelope record %s: %w", key, err)
	}
	if err := json.Unmarshal(e.Value(), &rec); err != nil {
		return rec, 0, Permanent(fmt.Errorf("bus: decode envelope record %s: %w", key, err))
	}
	return rec, e.Revision(), nil
}

// Put writes rec if the record is still at rev (0: it must not exist yet)
// and returns the new revision; an error wrapping ErrRecordChanged when
// another writer came first.
func (r *Records) Put(ctx context.Context, tenant, envelopeID string, rec envelope.Record, rev uint64) (uint64, error) {
	key := envelope.RecordKey(tenant, envelopeID)
	data, err := json.Marshal(rec)
	if err != nil {
		return 0, Permanent(fmt.Errorf("bus: encode envelope record %s: %w", key, err))
	}
	var next uint64
	if rev == 0 {
		next, err = r.kv.Create(ctx, key, data)
	} else {
		next, err = r.kv.Update(ctx, key, data, rev)
	}
	switch {
	case err == nil:
		return next, nil
	case errors.Is(err, jetstream.ErrKeyExists), errors.Is(err, jetstream.ErrKeyRevisionMismatch):
		return 0, fmt.Errorf("%w: %s", ErrRecordChanged, key)
	default:
		return 0, fmt.Errorf("bus: store envelope record %s: %w", key, err)
	}
}

// Scan calls fn with every record of tenant: one ordered walk over the
// tenant's keys (a watch stopped once the current values are delivered)
// rather than a Get per key. Values that are not records are skipped.
func (r *Records) Scan(ctx context.Context, tenant string, fn func(*envelope.Record)) error {
	w, err := r.kv.WatchFiltered(ctx, []string{tenant + ".>"}, jetstream.IgnoreDeletes())
	if err != nil {
		return fmt.Errorf("bus: scan envelope records of %s: %w", tenant, err)
	}
	defer func() { _ = w.Stop() }()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case e, ok := <-w.Updates():
			if !ok {
				return fmt.Errorf("bus: scan envelope records of %s: watcher closed", tenant)
			}
			if e == nil {
				return nil // every current value delivered
			}
			var rec envelope.Record
			if json.Unmarshal(e.Value(), &rec) != nil {
				continue
			}
			fn(&rec)
		}
	}
}
