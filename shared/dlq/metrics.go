package dlq

import (
	"context"
	"errors"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/countersign/countersign/shared/bus"
)

// Replay metric labels.
const (
	sourceDLQ      = "dlq"
	sourceRaw      = "raw"
	resultReplayed = "replayed"
	resultFailed   = "failed"
)

// sizeTimeout bounds the stream lookup made at each scrape.
const sizeTimeout = 2 * time.Second

// Metrics holds the replay counter. A nil *Metrics records nothing. The
// rate of new entries is bus's countersign_dlq_total (the watcher counts
// into it with class max_deliveries); the size is NewSizeCollector's.
type Metrics struct {
	// Replayed counts republished messages by source (dlq, raw) and
	// result (replayed, failed).
	Replayed *prometheus.CounterVec
}

// NewMetrics creates the collectors and registers them with reg (when not
// nil); a second registration with one registry reuses the first's.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{Replayed: prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: "countersign", Subsystem: "dlq", Name: "replayed_total",
		Help: "Messages republished by a replay, by source (dlq, raw) and result (replayed, failed).",
	}, []string{"source", "result"})}
	if reg != nil {
		m.Replayed = register(reg, m.Replayed)
	}
	return m
}

func (m *Metrics) replayed(source, result string) {
	if m == nil {
		return
	}
	m.Replayed.WithLabelValues(source, result).Inc()
}

// register registers c, or returns the equal collector already there.
func register[C prometheus.Collector](reg prometheus.Registerer, c C) C {
	if err := reg.Register(c); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			if existing, ok := are.ExistingCollector.(C); ok {
				return existing
			}
		}
		// Another collector of that name but another shape: keep ours
		// unregistered rather than fail a service over a metric.
	}
	return c
}

// sizeCollector reports the DLQ stream's size, read at scrape time so it
// is never stale and costs nothing between scrapes.
type sizeCollector struct {
	js            jetstream.JetStream
	messages, byt *prometheus.Desc
}

// NewSizeCollector returns a collector of the DLQ stream's size:
// countersign_dlq_messages and countersign_dlq_bytes, read from the
// stream's info at each scrape (nothing is reported when it cannot be
// read). RegisterSize registers it once per registry.
func NewSizeCollector(js jetstream.JetStream) prometheus.Collector {
	return &sizeCollector{
		js: js,
		messages: prometheus.NewDesc("countersign_dlq_messages",
			"Entries in the DLQ stream (each replayed entry counts once: its record is rewritten, not added).", nil, nil),
		byt: prometheus.NewDesc("countersign_dlq_bytes", "Bytes stored in the DLQ stream.", nil, nil),
	}
}

// RegisterSize registers NewSizeCollector(js) with reg; registering it a
// second time (two services in one process) is not an error.
func RegisterSize(reg prometheus.Registerer, js jetstream.JetStream) error {
	err := reg.Register(NewSizeCollector(js))
	var are prometheus.AlreadyRegisteredError
	if errors.As(err, &are) {
		return nil
	}
	return err
}

func (c *sizeCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.messages
	ch <- c.byt
}

func (c *sizeCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), sizeTimeout)
	defer cancel()
	s, err := c.js.Stream(ctx, bus.StreamDLQ)
	if err != nil {
		return
	}
	st := s.CachedInfo().State
	ch <- prometheus.MustNewConstMetric(c.messages, prometheus.GaugeValue, float64(st.Msgs))
	ch <- prometheus.MustNewConstMetric(c.byt, prometheus.GaugeValue, float64(st.Bytes))
}
