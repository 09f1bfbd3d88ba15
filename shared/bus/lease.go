package bus

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// ErrLeaseHeld is returned (wrapped) by Leases.Acquire while another
// holder has the lease.
var ErrLeaseHeld = errors.New("bus: lease held by another holder")

// Lease is the value of a lease key: who holds it, until when.
type Lease struct {
	Holder string    `json:"holder"`
	Until  time.Time `json:"until"`
}

// Leases are the one lease of countersign: "one replica at a time does
// this" (the reconciler polling a provider, a singleton task of any
// service), kept in a KV bucket by compare-and-set on the key's revision.
// A lease is taken when absent, expired or already the holder's, renewed
// every third of its ttl while held, so a long task keeps it and a
// crashed holder loses it after ttl. (Per-message work locks are
// dedupe.Locker's: they are never renewed.)
type Leases struct {
	kv     jetstream.KeyValue
	holder string
	now    func() time.Time
}

// NewLeases keeps leases in kv under the name holder (unique per replica);
// now is the clock (nil: time.Now).
func NewLeases(kv jetstream.KeyValue, holder string, now func() time.Time) *Leases {
	if now == nil {
		now = time.Now
	}
	return &Leases{kv: kv, holder: holder, now: now}
}

// Acquire takes the lease key for ttl and keeps it until release is
// called; it returns an error wrapping ErrLeaseHeld while another holder
// has it.
func (l *Leases) Acquire(ctx context.Context, key string, ttl time.Duration) (release func(), err error) {
	rev, err := l.take(ctx, key, ttl, 0)
	if err != nil {
		return nil, err
	}
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(ttl / 3)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				rctx, cancel := context.WithTimeout(context.Background(), ttl/3)
				if r, err := l.take(rctx, key, ttl, rev); err == nil {
					rev = r
				}
				cancel()
			}
		}
	}()
	return func() {
		close(stop)
		<-done
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		// Only our own revision is deleted: a lease taken over after an
		// expiry is not ours to drop.
		_ = l.kv.Delete(ctx, key, jetstream.LastRevision(rev))
	}, nil
}

// take writes a lease for ttl: over revision rev when renewing, else
// wherever the current lease is absent, expired or ours.
func (l *Leases) take(ctx context.Context, key string, ttl time.Duration, rev uint64) (uint64, error) {
	b, err := json.Marshal(Lease{Holder: l.holder, Until: l.now().Add(ttl)})
	if err != nil {
		return 0, fmt.Errorf("bus: encode lease: %w", err)
	}
	if rev != 0 {
		return l.kv.Update(ctx, key, b, rev)
	}
	e, err := l.kv.Get(ctx, key)
	switch {
	case errors.Is(err, jetstream.ErrKeyNotFound):
		r, err := l.kv.Create(ctx, key, b)
		if errors.Is(err, jetstream.ErrKeyExists) {
			return 0, fmt.Errorf("%w: %s", ErrLeaseHeld, key)
		}
		return r, err
	case err != nil:
		return 0, fmt.Errorf("bus: read lease %s: %w", key, err)
	}
	var cur Lease
	if json.Unmarshal(e.Value(), &cur) == nil && cur.Holder != l.holder && l.now().Before(cur.Until) {
		return 0, fmt.Errorf("%w: %s", ErrLeaseHeld, key)
	}
	r, err := l.kv.Update(ctx, key, b, e.Revision())
	if err != nil {
		// Someone else renewed or took it between our read and write.
		return 0, fmt.Errorf("%w: %w", ErrLeaseHeld, err)
	}
	return r, nil
}
