package dedupe

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// releaseScript deletes KEYS[1] only when it still holds ARGV[1]: a plain
// DEL after a GET could delete a lock another worker took after ours
// expired.
var releaseScript = redis.NewScript(`
if redis.call("GET", KEYS[1]) == ARGV[1] then
	return redis.call("DEL", KEYS[1])
end
return 0`)

// Redis is a Locker on Redis: SET key token NX PX ttl. Expiry is per key
// and exact to the millisecond.
type Redis struct {
	client redis.UniversalClient
}

var _ Locker = (*Redis)(nil)

// NewRedis returns a Locker on client (a single node, Sentinel or Cluster
// client).
func NewRedis(client redis.UniversalClient) *Redis {
	return &Redis{client: client}
}

// Acquire implements Locker.
func (r *Redis) Acquire(ctx context.Context, key string, ttl time.Duration) (string, error) {
	if ttl < time.Millisecond {
		return "", fmt.Errorf("%w: %s", ErrInvalidTTL, ttl)
	}
	token := newToken()
	err := r.client.SetArgs(ctx, key, token, redis.SetArgs{Mode: "NX", TTL: ttl}).Err()
	if errors.Is(err, redis.Nil) {
		return "", fmt.Errorf("dedupe: %s: %w", key, ErrHeld)
	}
	if err != nil {
		return "", fmt.Errorf("dedupe: redis set %s: %w", key, err)
	}
	return token, nil
}

// Release implements Locker.
func (r *Redis) Release(ctx context.Context, key, token string) error {
	if err := releaseScript.Run(ctx, r.client, []string{key}, token).Err(); err != nil && !errors.Is(err, redis.Nil) {
		return fmt.Errorf("dedupe: redis release %s: %w", key, err)
	}
	return nil
}
