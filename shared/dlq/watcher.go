package dlq

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/countersign/countersign/shared/bus"
	"github.com/countersign/countersign/shared/subjects"
)

// AdvisorySubject is where the server announces a message that reached
// its consumer's MaxDeliver: ….MAX_DELIVERIES.<stream>.<consumer>.
const AdvisorySubject = "$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.>"

// watcherQueue is the queue group of every Watcher: each advisory is
// handled by one replica, not by all.
const watcherQueue = "countersign-dlq-watcher"

// Retry schedule of one dead-lettering: an advisory is a core NATS
// message, sent once, so a failed write is retried here before it is
// given up (to the next start's sweep).
const (
	writeAttempts = 5
	writeBackoff  = 200 * time.Millisecond
	writeTimeout  = 10 * time.Second
)

// advisory is the part of the server's
// io.nats.jetstream.advisory.v1.max_deliver event we use.
type advisory struct {
	Stream     string    `json:"stream"`
	Consumer   string    `json:"consumer"`
	StreamSeq  uint64    `json:"stream_seq"`
	Deliveries uint64    `json:"deliveries"`
	Time       time.Time `json:"timestamp"`
}

// WatcherConfig configures NewWatcher.
type WatcherConfig struct {
	// NC receives the advisories; JS reads, dead-letters and deletes the
	// messages. Both required.
	NC *nats.Conn
	JS jetstream.JetStream
	// Logger defaults to slog.Default().
	Logger *slog.Logger
	// Metrics counts the entries written (bus's countersign_dlq_total,
	// class max_deliveries); nil records nothing.
	Metrics *bus.Metrics
	// NoSweep skips the start-up sweep of work-queue streams.
	NoSweep bool
}

// Watcher writes a DLQ entry for every message a consumer gave up on
// without a verdict (JetStream's MAX_DELIVERIES advisory): a worker that
// crashes or hangs on a poison message never dead-letters it itself. The
// entry has class ClassMaxDeliveries and service = the consumer's name,
// and its Nats-Msg-Id is the one bus workers use for the same message, so
// replicas and a racing worker write it once. In a work-queue stream the
// message is then deleted, or it would sit there for good.
//
// Advisories are core NATS messages: a moment with no Watcher running
// loses them. Run therefore starts with a sweep of the work-queue streams
// for messages below a consumer's ack floor — only ones it gave up on
// stay there. Messages of a limits stream (RAW) that were missed so stay
// in RAW and can be replayed from there (Store.ReplayRaw).
type Watcher struct {
	cfg     WatcherConfig
	log     *slog.Logger
	streams map[string]jetstream.Stream
	ready   chan struct{}
}

// NewWatcher returns a Watcher, or an error wrapping ErrInvalidConfig
// without NC or JS.
func NewWatcher(cfg WatcherConfig) (*Watcher, error) {
	if cfg.NC == nil || cfg.JS == nil {
		return nil, fmt.Errorf("%w: WatcherConfig.NC and JS are required", ErrInvalidConfig)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Watcher{cfg: cfg, log: cfg.Logger, streams: map[string]jetstream.Stream{}, ready: make(chan struct{})}, nil
}

// Ready is closed once Run's subscription is registered with the server:
// advisories sent from then on are caught.
func (w *Watcher) Ready() <-chan struct{} { return w.ready }

// Run subscribes to the advisories, sweeps the work-queue streams, and
// handles advisories one at a time until ctx is done; then it returns
// nil. It returns an error when it cannot subscribe.
func (w *Watcher) Run(ctx context.Context) error {
	sub, err := w.cfg.NC.QueueSubscribeSync(AdvisorySubject, watcherQueue)
	if err != nil {
		return fmt.Errorf("dlq: subscribe %s: %w", AdvisorySubject, err)
	}
	defer func() { _ = sub.Unsubscribe() }()
	flushCtx, cancel := context.WithTimeout(ctx, writeTimeout)
	err = w.cfg.NC.FlushWithContext(flushCtx)
	cancel()
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return fmt.Errorf("dlq: subscribe %s: %w", AdvisorySubject, err)
	}
	close(w.ready)
	if !w.cfg.NoSweep {
		if n, err := w.Sweep(ctx); err != nil {
			w.log.Warn("dlq: start-up sweep incomplete", "dead_lettered", n, "err", err)
		} else if n > 0 {
			w.log.Warn("dlq: start-up sweep dead-lettered messages whose advisory was missed", "count", n)
		}
	}
	for {
		msg, err := sub.NextMsgWithContext(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			// A slow-consumer error drops advisories: the next start's
			// sweep recovers work-queue messages, so keep going. Any other
			// error (a closed connection) would repeat forever: stop.
			if errors.Is(err, nats.ErrSlowConsumer) {
				w.log.Warn("dlq: advisory subscription", "err", err)
				continue
			}
			return fmt.Errorf("dlq: advisory subscription: %w", err)
		}
		var adv advisory
		if err := json.Unmarshal(msg.Data, &adv); err != nil || adv.Stream == "" || adv.StreamSeq == 0 {
			w.log.Warn("dlq: unreadable advisory", "subject", msg.Subject, "err", err)
			continue
		}
		if err := w.handle(ctx, adv); err != nil && ctx.Err() == nil {
			w.log.Error("dlq: message not dead-lettered", "stream", adv.Stream, "consumer", adv.Consumer,
				"seq", adv.StreamSeq, "err", err)
		}
	}
}

// handle dead-letters the message adv names, retrying failed writes.
func (w *Watcher) handle(ctx context.Context, adv advisory) error {
	reason := fmt.Sprintf("no verdict after %d deliveries on consumer %s", adv.Deliveries, adv.Consumer)
	last := adv.Time
	if last.IsZero() {
		last = time.Now()
	}
	var err error
	for attempt := range writeAttempts {
		if attempt > 0 {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(writeBackoff << (attempt - 1)):
			}
		}
		if err = w.deadLetter(ctx, adv.Stream, adv.Consumer, adv.StreamSeq, int(adv.Deliveries), reason, last); err == nil {
			return nil
		}
	}
	return err
}

// deadLetter copies message seq of stream to the DLQ as given up by
// consumer, then deletes it from a work-queue stream. A message already
// gone (another replica, or the worker, settled it) is not an error.
func (w *Watcher) deadLetter(ctx context.Context, streamName, consumer string, seq uint64, deliveries int, reason string, lastAttempt time.Time) error {
	ctx, cancel := context.WithTimeout(ctx, writeTimeout)
	defer cancel()
	stream, err := w.stream(ctx, streamName)
	if err != nil {
		return err
	}
	raw, err := stream.GetMsg(ctx, seq)
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("dlq: get %s seq %d: %w", streamName, seq, err)
	}
	dl := maxDeliveriesLetter(raw, streamName, consumer, deliveries, reason, lastAttempt)
	// A crash between writing the entry and deleting the message leaves
	// both: the next advisory or sweep finds the entry and only deletes.
	written, err := w.written(ctx, dl)
	if err != nil {
		return err
	}
	if !written {
		if err := w.publish(ctx, dl); err != nil {
			return err
		}
	}
	if stream.CachedInfo().Config.Retention != jetstream.WorkQueuePolicy {
		return nil
	}
	if err := stream.DeleteMsg(ctx, seq); err != nil && !errors.Is(err, jetstream.ErrMsgNotFound) {
		return fmt.Errorf("dlq: delete %s seq %d: %w", streamName, seq, err)
	}
	return nil
}

// written reports whether the DLQ already holds dl's entry. Entries are
// written after their message entered its stream, so the scan starts
// there, on the entry's own subject.
func (w *Watcher) written(ctx context.Context, dl bus.DeadLetter) (bool, error) {
	found := false
	err := scan(ctx, w.cfg.JS, bus.StreamDLQ, bus.DLQSubject(dl.Service, dl.Tenant), dl.FirstAttemptAt.Add(-clockSlack),
		func(msg jetstream.Msg) (bool, error) {
			var e struct {
				ID string `json:"id"`
			}
			if json.Unmarshal(msg.Data(), &e) == nil && e.ID == dl.ID {
				found = true
				return false, nil
			}
			return true, nil
		})
	if err != nil {
		return false, fmt.Errorf("dlq: look up entry %s: %w", dl.ID, err)
	}
	return found, nil
}

// publish writes dl to the DLQ with its derived Nats-Msg-Id.
func (w *Watcher) publish(ctx context.Context, dl bus.DeadLetter) error {
	data, err := json.Marshal(dl)
	if err != nil {
		return fmt.Errorf("dlq: encode dead letter: %w", err)
	}
	out := &nats.Msg{
		Subject: bus.DLQSubject(dl.Service, dl.Tenant),
		Data:    data,
		Header: nats.Header{
			// The id bus workers use for the same message (deadletter.go).
			bus.HeaderMsgID:    {bus.DeadLetterMsgID(dl.ID)},
			bus.HeaderTenant:   {dl.Tenant},
			bus.HeaderEnvelope: {dl.EnvelopeID},
		},
	}
	ack, err := w.cfg.JS.PublishMsg(ctx, out)
	if err != nil {
		return fmt.Errorf("dlq: publish dead letter to %s: %w", out.Subject, err)
	}
	if !ack.Duplicate {
		if w.cfg.Metrics != nil {
			w.cfg.Metrics.DeadLetters.WithLabelValues(dl.Service, ClassMaxDeliveries).Inc()
		}
		w.log.Warn("dlq: dead-lettered after max deliveries", "service", dl.Service, "id", dl.ID,
			"stream", dl.Stream, "seq", dl.StreamSeq, "attempts", dl.Attempts)
	}
	return nil
}

// stream returns the named stream, looked up once.
func (w *Watcher) stream(ctx context.Context, name string) (jetstream.Stream, error) {
	if s, ok := w.streams[name]; ok {
		return s, nil
	}
	s, err := w.cfg.JS.Stream(ctx, name)
	if err != nil {
		return nil, fmt.Errorf("dlq: stream %s: %w", name, err)
	}
	w.streams[name] = s
	return s, nil
}

// maxDeliveriesLetter builds the DLQ entry of raw, given up by consumer.
func maxDeliveriesLetter(raw *jetstream.RawStreamMsg, stream, consumer string, deliveries int, reason string, lastAttempt time.Time) bus.DeadLetter {
	header := make(map[string][]string, len(raw.Header))
	for k, vs := range raw.Header {
		header[k] = append([]string(nil), vs...)
	}
	return bus.DeadLetter{
		// The family ("statesync", not "statesync-07") names the service,
		// as the worker does, so both derive the same entry id.
		ID:             bus.DeadLetterID(subjects.ConsumerFamily(consumer), stream, raw.Sequence),
		Service:        subjects.ConsumerFamily(consumer),
		Tenant:         raw.Header.Get(bus.HeaderTenant),
		EnvelopeID:     raw.Header.Get(bus.HeaderEnvelope),
		Subject:        raw.Subject,
		Error:          reason,
		ErrorClass:     ClassMaxDeliveries,
		Attempts:       deliveries,
		FirstAttemptAt: raw.Time.UTC(),
		LastAttemptAt:  lastAttempt.UTC(),
		DeadAt:         time.Now().UTC(),
		Stream:         stream,
		StreamSeq:      raw.Sequence,
		Header:         header,
		Payload:        raw.Data,
	}
}
