package dedupe

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// markerTTL is how long an expired lock's marker stays in the bucket (the
// server's minimum); Create treats a marker as an absent key.
const markerTTL = time.Second

// KV is a Locker on a JetStream KV bucket, for single-machine setups with
// no Redis.
//
// TTL semantics: each lock carries a per-key TTL (the server's message
// TTL, whole seconds: ttl is rounded up to the next second, so a lock may
// outlive its ttl by up to a second plus the server's expiry tick). The
// bucket's MaxAge is the upper bound: Acquire refuses a longer ttl. On a
// server without per-message TTL (before 2.11) every lock lives exactly
// the bucket's MaxAge, whatever ttl Acquire is given.
type KV struct {
	kv        jetstream.KeyValue
	maxTTL    time.Duration
	perKeyTTL bool
}

var _ Locker = (*KV)(nil)

// NewKV creates or updates bucket (idempotent, safe from several
// processes) with MaxAge ttl and per-key TTLs, and returns a Locker on it.
// ttl is the longest lock Acquire will take. It returns an error wrapping
// ErrInvalidTTL for ttl below a second.
func NewKV(ctx context.Context, js jetstream.JetStream, bucket string, ttl time.Duration, replicas int) (*KV, error) {
	if ttl < time.Second {
		return nil, fmt.Errorf("%w: KV lock ttl %s below 1s", ErrInvalidTTL, ttl)
	}
	if replicas <= 0 {
		replicas = 1
	}
	cfg := jetstream.KeyValueConfig{
		Bucket:         bucket,
		Description:    "countersign dedupe locks",
		History:        1,
		TTL:            ttl,
		Storage:        jetstream.FileStorage,
		Replicas:       replicas,
		LimitMarkerTTL: markerTTL,
	}
	kv, err := js.CreateOrUpdateKeyValue(ctx, cfg)
	perKey := true
	if errors.Is(err, jetstream.ErrLimitMarkerTTLNotSupported) {
		cfg.LimitMarkerTTL = 0
		perKey = false
		kv, err = js.CreateOrUpdateKeyValue(ctx, cfg)
	}
	if err != nil {
		return nil, fmt.Errorf("dedupe: lock bucket %s: %w", bucket, err)
	}
	return &KV{kv: kv, maxTTL: ttl, perKeyTTL: perKey}, nil
}

// kvKey maps any lock key onto the KV key alphabet.
func kvKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}

// Acquire implements Locker.
func (k *KV) Acquire(ctx context.Context, key string, ttl time.Duration) (string, error) {
	if ttl < time.Millisecond || ttl > k.maxTTL {
		return "", fmt.Errorf("%w: %s (bucket allows up to %s)", ErrInvalidTTL, ttl, k.maxTTL)
	}
	var opts []jetstream.KVCreateOpt
	if k.perKeyTTL {
		opts = append(opts, jetstream.KeyTTL(ceilSecond(ttl)))
	}
	token := newToken()
	_, err := k.kv.Create(ctx, kvKey(key), []byte(token), opts...)
	if errors.Is(err, jetstream.ErrKeyExists) {
		return "", fmt.Errorf("dedupe: %s: %w", key, ErrHeld)
	}
	if err != nil {
		return "", fmt.Errorf("dedupe: kv create %s: %w", key, err)
	}
	return token, nil
}

// ceilSecond rounds ttl up to whole seconds, the server's TTL unit, so a
// lock never lives shorter than asked.
func ceilSecond(ttl time.Duration) time.Duration {
	return (ttl + time.Second - 1) / time.Second * time.Second
}

// Release implements Locker.
func (k *KV) Release(ctx context.Context, key, token string) error {
	kk := kvKey(key)
	e, err := k.kv.Get(ctx, kk)
	if errors.Is(err, jetstream.ErrKeyNotFound) || errors.Is(err, jetstream.ErrKeyDeleted) {
		return nil // expired or released
	}
	if err != nil {
		return fmt.Errorf("dedupe: kv get %s: %w", key, err)
	}
	if string(e.Value()) != token {
		return nil // taken over after ours expired
	}
	err = k.kv.Delete(ctx, kk, jetstream.LastRevision(e.Revision()))
	if err != nil && !errors.Is(err, jetstream.ErrKeyExists) {
		return fmt.Errorf("dedupe: kv delete %s: %w", key, err)
	}
	return nil
}
