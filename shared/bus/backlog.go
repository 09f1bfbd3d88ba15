package bus

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
)

// BacklogTimeout bounds all JetStream lookups of one scrape: a slow or
// partitioned server makes a scrape report less, never hang.
const BacklogTimeout = 3 * time.Second

// TopologyConsumers returns every stream Setup declares, each with the
// durable consumers Setup declares on it (none for the fact and job
// streams nobody in the pipeline consumes yet): the map
// NewBacklogCollector takes to watch the whole topology.
func TopologyConsumers(t Topology) map[string][]string {
	t = t.withDefaults()
	m := map[string][]string{}
	for _, sc := range StreamConfigs(t) {
		m[sc.Name] = nil
	}
	for _, p := range partitionedStreams {
		for _, c := range p.consumers(t) {
			m[p.stream] = append(m[p.stream], c.Durable)
		}
	}
	return m
}

// backlogCollector reads stream and consumer info at scrape time, so the
// figures are never stale and cost nothing between scrapes.
type backlogCollector struct {
	js      jetstream.JetStream
	streams []string
	durable map[string][]string

	pending, ackPending, redelivered, oldestAge *prometheus.Desc
	messages, bytes                             *prometheus.Desc
}

// NewBacklogCollector returns a collector of the backlog of the given
// durable consumers (stream name → durable names) and of the size of each
// stream named. At each scrape it exports, per consumer:
//
//   - countersign_consumer_pending{stream,consumer}: messages not yet delivered;
//   - countersign_consumer_ack_pending{stream,consumer}: delivered, no verdict yet;
//   - countersign_consumer_redelivered{stream,consumer}: of those, delivered more than once;
//   - countersign_consumer_oldest_pending_age_seconds{stream,consumer}: age of the
//     oldest message the consumer has not acked (0 with no backlog);
//
// and per stream countersign_stream_messages{stream} and
// countersign_stream_bytes{stream}. A stream or consumer that does not
// exist (yet) or cannot be read within BacklogTimeout is left out of that
// scrape rather than reported as zero.
func NewBacklogCollector(js jetstream.JetStream, consumers map[string][]string) prometheus.Collector {
	streams := make([]string, 0, len(consumers))
	durable := make(map[string][]string, len(consumers))
	for s, ds := range consumers {
		streams = append(streams, s)
		durable[s] = slices.Clone(ds)
	}
	slices.Sort(streams)
	sc := []string{"stream", "consumer"}
	return &backlogCollector{
		js: js, streams: streams, durable: durable,
		pending: prometheus.NewDesc("countersign_consumer_pending",
			"Messages of the stream the durable consumer has not been delivered yet.", sc, nil),
		ackPending: prometheus.NewDesc("countersign_consumer_ack_pending",
			"Messages delivered to the durable consumer and awaiting a verdict.", sc, nil),
		redelivered: prometheus.NewDesc("countersign_consumer_redelivered",
			"Messages awaiting a verdict that were delivered more than once.", sc, nil),
		oldestAge: prometheus.NewDesc("countersign_consumer_oldest_pending_age_seconds",
			"Age of the oldest message the durable consumer has not acked (0: no backlog).", sc, nil),
		messages: prometheus.NewDesc("countersign_stream_messages",
			"Messages stored in the stream.", []string{"stream"}, nil),
		bytes: prometheus.NewDesc("countersign_stream_bytes",
			"Bytes stored in the stream.", []string{"stream"}, nil),
	}
}

// Describe implements prometheus.Collector.
func (c *backlogCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.pending, c.ackPending, c.redelivered, c.oldestAge, c.messages, c.bytes} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *backlogCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), BacklogTimeout)
	defer cancel()
	for _, name := range c.streams {
		s, err := c.js.Stream(ctx, name)
		if err != nil {
			continue
		}
		st := s.CachedInfo().State
		ch <- prometheus.MustNewConstMetric(c.messages, prometheus.GaugeValue, float64(st.Msgs), name)
		ch <- prometheus.MustNewConstMetric(c.bytes, prometheus.GaugeValue, float64(st.Bytes), name)
		for _, d := range c.durable[name] {
			c.collectConsumer(ctx, ch, s, name, d)
		}
	}
}

func (c *backlogCollector) collectConsumer(ctx context.Context, ch chan<- prometheus.Metric, s jetstream.Stream, stream, durable string) {
	cons, err := s.Consumer(ctx, durable)
	if err != nil {
		return
	}
	info := cons.CachedInfo()
	gauge := func(d *prometheus.Desc, v float64) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, stream, durable)
	}
	gauge(c.pending, float64(info.NumPending))
	gauge(c.ackPending, float64(info.NumAckPending))
	gauge(c.redelivered, float64(info.NumRedelivered))
	if age, ok := oldestPendingAge(ctx, s, info); ok {
		gauge(c.oldestAge, age.Seconds())
	}
}

// oldestPendingAge is the age of the first message after the consumer's
// ack floor that its filter selects: everything before the floor is acked,
// so that message is the oldest one still waiting. It costs one message
// read per filter subject, and only while there is a backlog.
func oldestPendingAge(ctx context.Context, s jetstream.Stream, info *jetstream.ConsumerInfo) (time.Duration, bool) {
	if info.NumPending == 0 && info.NumAckPending == 0 {
		return 0, true
	}
	filters := info.Config.FilterSubjects
	if info.Config.FilterSubject != "" {
		filters = []string{info.Config.FilterSubject}
	}
	if len(filters) == 0 {
		filters = []string{">"}
	}
	var oldest time.Time
	for _, f := range filters {
		m, err := s.GetMsg(ctx, info.AckFloor.Stream+1, jetstream.WithGetMsgSubject(f))
		if err != nil {
			// Not found: the filter has nothing past the floor. Any
			// other error leaves the age unknown rather than wrong.
			if errors.Is(err, jetstream.ErrMsgNotFound) {
				continue
			}
			return 0, false
		}
		if oldest.IsZero() || m.Time.Before(oldest) {
			oldest = m.Time
		}
	}
	if oldest.IsZero() {
		// The backlog was acked between the two lookups.
		return 0, true
	}
	return max(0, time.Since(oldest)), true
}
