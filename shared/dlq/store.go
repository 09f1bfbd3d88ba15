package dlq

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/countersign/countersign/shared/bus"
)

// Store reads and replays the DLQ stream (and RAW, for raw replays).
type Store struct {
	js      jetstream.JetStream
	log     *slog.Logger
	metrics *Metrics
	now     func() time.Time
}

// StoreConfig configures NewStore.
type StoreConfig struct {
	// JS reads DLQ and RAW and publishes replays. Required.
	JS jetstream.JetStream
	// Logger defaults to slog.Default().
	Logger *slog.Logger
	// Metrics counts replays; nil records nothing.
	Metrics *Metrics
}

// NewStore returns a Store over cfg.JS, or an error wrapping
// ErrInvalidConfig without one.
func NewStore(cfg StoreConfig) (*Store, error) {
	if cfg.JS == nil {
		return nil, fmt.Errorf("%w: StoreConfig.JS is required", ErrInvalidConfig)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Store{js: cfg.JS, log: cfg.Logger, metrics: cfg.Metrics, now: time.Now}, nil
}

// stored is a DLQ entry with where it lives in the DLQ stream.
type stored struct {
	bus.DeadLetter
	subject string
	seq     uint64
}

// List returns the DLQ entries f matches, oldest written first, at most
// f's limit. An entry rewritten by a replay counts as written then. It
// returns an error wrapping ErrInvalidSelection for a bad filter.
func (s *Store) List(ctx context.Context, f Filter) ([]bus.DeadLetter, error) {
	entries, _, err := s.collect(ctx, f, f.limit())
	if err != nil {
		return nil, err
	}
	out := make([]bus.DeadLetter, len(entries))
	for i, e := range entries {
		out[i] = e.DeadLetter
	}
	return out, nil
}

// collect scans the DLQ for entries f matches, up to max; more reports
// that the scan stopped at max with entries possibly left.
func (s *Store) collect(ctx context.Context, f Filter, max int) (entries []stored, more bool, err error) {
	filter, err := f.subjectFilter()
	if err != nil {
		return nil, false, err
	}
	var start time.Time
	if !f.Since.IsZero() {
		start = f.Since.Add(-clockSlack)
	}
	index := map[string]int{}
	err = scan(ctx, s.js, bus.StreamDLQ, filter, start, func(msg jetstream.Msg) (bool, error) {
		e, ok := s.decode(msg)
		if !ok || !f.matches(e.ErrorClass, e.DeadAt) {
			return true, nil
		}
		// A replay rewrite that lost its delete leaves two copies: the
		// later one is current.
		if i, dup := index[e.ID]; dup {
			entries[i] = e
			return true, nil
		}
		if len(entries) == max {
			more = true
			return false, nil
		}
		index[e.ID] = len(entries)
		entries = append(entries, e)
		return true, nil
	})
	return entries, more, err
}

// find returns the current copy of each DLQ entry in ids and the ids not
// found. It reads the whole DLQ: ids do not say where an entry is.
func (s *Store) find(ctx context.Context, ids []string) ([]stored, []string, error) {
	want := make(map[string]int, len(ids))
	for _, id := range ids {
		want[id] = -1
	}
	var found []stored
	err := scan(ctx, s.js, bus.StreamDLQ, "dlq.>", time.Time{}, func(msg jetstream.Msg) (bool, error) {
		e, ok := s.decode(msg)
		if !ok {
			return true, nil
		}
		switch i, asked := want[e.ID]; {
		case !asked:
		case i >= 0:
			found[i] = e
		default:
			want[e.ID] = len(found)
			found = append(found, e)
		}
		return true, nil
	})
	if err != nil {
		return nil, nil, err
	}
	var missing []string
	for _, id := range ids {
		if want[id] < 0 {
			missing = append(missing, id)
			want[id] = len(found) // report a repeated id once
		}
	}
	return found, missing, nil
}

// decode parses one DLQ message; entries that do not parse are logged
// and skipped rather than failing a whole listing.
func (s *Store) decode(msg jetstream.Msg) (stored, bool) {
	var e stored
	if err := json.Unmarshal(msg.Data(), &e.DeadLetter); err != nil || e.ID == "" {
		s.log.Warn("dlq: skipping an entry that is not a dead letter", "subject", msg.Subject(), "err", err)
		return e, false
	}
	md, err := msg.Metadata()
	if err != nil {
		return e, false
	}
	e.subject, e.seq = msg.Subject(), md.Sequence.Stream
	return e, true
}

// replayHeaders copies h for a republish: the original Nats-Msg-Id and
// any earlier Cs-Replay-Of are dropped, the new ones set.
func replayHeaders(h map[string][]string, replayOf, msgID string) map[string][]string {
	out := make(map[string][]string, len(h)+2)
	for k, vs := range h {
		if strings.EqualFold(k, bus.HeaderMsgID) || strings.EqualFold(k, bus.HeaderReplayOf) {
			continue
		}
		out[k] = append([]string(nil), vs...)
	}
	out[bus.HeaderReplayOf] = []string{replayOf}
	out[bus.HeaderMsgID] = []string{msgID}
	return out
}
