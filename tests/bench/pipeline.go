package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
)

// EnvelopeSubjects is the wildcard of every ledger entry.
const EnvelopeSubjects = "envelope.>"

// Pipeline matches ledger entries seen on the envelope subjects to the
// deliveries acknowledged by ingress. Envelope ids are "<phase>-<n>"; each
// phase has its own Tracker.
type Pipeline struct {
	mu     sync.Mutex
	phases map[string]*Tracker
	// Unmatched counts entries of no known phase (or unreadable JSON).
	unmatched uint64
}

// NewPipeline returns an empty Pipeline.
func NewPipeline() *Pipeline { return &Pipeline{phases: map[string]*Tracker{}} }

// Phase returns the tracker of phase (created on first use). Phase names
// must not contain '-'.
func (p *Pipeline) Phase(phase string) *Tracker {
	p.mu.Lock()
	defer p.mu.Unlock()
	t, ok := p.phases[phase]
	if !ok {
		t = newTracker(phase)
		p.phases[phase] = t
	}
	return t
}

// Unmatched is the number of entries no phase claimed.
func (p *Pipeline) Unmatched() uint64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.unmatched
}

// Subscribe listens on EnvelopeSubjects over a core NATS subscription
// (entries are JetStream publishes, which core subscribers see as they
// are stored) with unbounded pending limits, so a burst is queued rather
// than dropped as a slow consumer.
func (p *Pipeline) Subscribe(nc *nats.Conn) (*nats.Subscription, error) {
	sub, err := nc.Subscribe(EnvelopeSubjects, func(m *nats.Msg) { p.Entry(m.Data, time.Now()) })
	if err != nil {
		return nil, fmt.Errorf("bench: subscribe %s: %w", EnvelopeSubjects, err)
	}
	if err := sub.SetPendingLimits(-1, -1); err != nil {
		return nil, fmt.Errorf("bench: pending limits: %w", err)
	}
	return sub, nil
}

// Entry records one ledger entry (its JSON) seen at at.
func (p *Pipeline) Entry(data []byte, at time.Time) {
	var e struct {
		EnvelopeID string `json:"envelope_id"`
	}
	var phase string
	ok := false
	if json.Unmarshal(data, &e) == nil {
		phase, _, ok = strings.Cut(e.EnvelopeID, "-")
	}
	p.mu.Lock()
	t := p.phases[phase]
	if !ok || t == nil {
		p.unmatched++
	}
	p.mu.Unlock()
	if ok && t != nil {
		t.entry(e.EnvelopeID, at)
	}
}

// Tracker follows one phase: when each envelope's delivery was
// acknowledged and when its first ledger entry arrived. Either may come
// first: the entry can overtake the HTTP answer on its way to the client.
type Tracker struct {
	phase   string
	mu      sync.Mutex
	acks    map[string]time.Time
	entries map[string]time.Time
	// entryCount counts every entry of the phase, duplicates included.
	entryCount  uint64
	first, last time.Time
	changed     chan struct{}
}

func newTracker(phase string) *Tracker {
	return &Tracker{
		phase: phase, acks: map[string]time.Time{}, entries: map[string]time.Time{},
		changed: make(chan struct{}, 1),
	}
}

// ID is the envelope id of the phase's i-th delivery.
func (t *Tracker) ID(i uint64) string { return fmt.Sprintf("%s-%d", t.phase, i) }

// Ack records a 2xx for envelopeID seen at at.
func (t *Tracker) Ack(envelopeID string, at time.Time) {
	t.mu.Lock()
	t.acks[envelopeID] = at
	t.mu.Unlock()
}

func (t *Tracker) entry(envelopeID string, at time.Time) {
	t.mu.Lock()
	t.entryCount++
	if _, seen := t.entries[envelopeID]; !seen {
		t.entries[envelopeID] = at
	}
	if t.first.IsZero() {
		t.first = at
	}
	t.last = at
	t.mu.Unlock()
	select {
	case t.changed <- struct{}{}:
	default:
	}
}

// pending is how many acknowledged envelopes have no entry yet.
func (t *Tracker) pending() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := 0
	for id := range t.acks {
		if _, ok := t.entries[id]; !ok {
			n++
		}
	}
	return n
}

// Drain waits until every acknowledged envelope has its entry (drained),
// ctx ends, or no entry arrived for idle (stalled: the pipeline stopped
// making progress, which a slow pipeline under a deadline does not).
func (t *Tracker) Drain(ctx context.Context, idle time.Duration) (drained, stalled bool) {
	check := time.NewTicker(100 * time.Millisecond)
	defer check.Stop()
	quiet := time.NewTimer(idle)
	defer quiet.Stop()
	for t.pending() > 0 {
		select {
		case <-ctx.Done():
			return false, false
		case <-quiet.C:
			return false, true
		case <-t.changed:
			quiet.Reset(idle)
		case <-check.C:
		}
	}
	return true, false
}

// PipelineResult is what a phase's tracker measured.
type PipelineResult struct {
	Phase   string `json:"phase"`
	Acked   int    `json:"acked"`
	Matched int    `json:"matched"`
	Missing int    `json:"missing"`
	Entries uint64 `json:"entries"`
	Drained bool   `json:"drained"`
	// EntriesPerSecond is entries over the span from the phase's start to
	// its last entry: the sustained ledger throughput under this load.
	EntriesPerSecond float64 `json:"entries_per_second"`
	// EndToEnd is from the 2xx to the entry's arrival on envelope.>.
	EndToEnd Percentiles `json:"end_to_end"`
	// CPUMicrosPerDelivery is the countersign process's CPU time (user +
	// system, the embedded NATS server included, Redis not) from the
	// phase's start until it drained, per acknowledged delivery: what one
	// delivery costs from HTTP to ledger entry, a figure a busy machine
	// does not distort the way it distorts rates.
	CPUMicrosPerDelivery float64 `json:"cpu_us_per_delivery,omitempty"`
	// ClusterCPUMicrosPerDelivery is the same for the NATS nodes of an R3
	// phase (countersign's own is CPUMicrosPerDelivery).
	ClusterCPUMicrosPerDelivery float64 `json:"cluster_cpu_us_per_delivery,omitempty"`
}

// Result summarises the phase; start is when its load began.
func (t *Tracker) Result(start time.Time, drained bool) PipelineResult {
	t.mu.Lock()
	defer t.mu.Unlock()
	r := PipelineResult{Phase: t.phase, Acked: len(t.acks), Entries: t.entryCount, Drained: drained}
	lat := make([]time.Duration, 0, len(t.acks))
	for id, ack := range t.acks {
		at, ok := t.entries[id]
		if !ok {
			r.Missing++
			continue
		}
		r.Matched++
		lat = append(lat, max(0, at.Sub(ack)))
	}
	if span := t.last.Sub(start); span > 0 {
		r.EntriesPerSecond = round3(float64(t.entryCount) / span.Seconds())
	}
	r.EndToEnd = Summarise(lat)
	return r
}
