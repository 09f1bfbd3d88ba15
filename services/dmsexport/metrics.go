package dmsexport

import (
	"context"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/countersign/countersign/shared/bus"
)

type metrics struct {
	exports  *prometheus.CounterVec
	bytes    *prometheus.CounterVec
	duration *prometheus.HistogramVec
	purges   *prometheus.CounterVec
}

// newMetrics registers the export metrics. The oldest pending export is
// read from the EXPORT work queue at scrape time: its first message is
// the oldest job not yet done.
func newMetrics(reg prometheus.Registerer, js jetstream.JetStream) (*metrics, error) {
	m := &metrics{
		exports: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "countersign_export_total",
			Help: "Export attempts by outcome: exported, retry (an attempt failed, the job is redelivered), failed (dead-lettered).",
		}, []string{"tenant", "provider", "outcome"}),
		bytes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "countersign_export_bytes_total",
			Help: "Bytes of artefacts stored and verified.",
		}, []string{"tenant", "provider"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "countersign_export_duration_seconds",
			Help:    "Duration of one export attempt.",
			Buckets: prometheus.ExponentialBuckets(0.01, 4, 10),
		}, []string{"provider"}),
		purges: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "countersign_export_purges_total",
			Help: "Purges at the provider by outcome: purged, unsupported, refused (retried), unknown (not repeated).",
		}, []string{"provider", "outcome"}),
	}
	oldest := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "countersign_export_oldest_pending_seconds",
		Help: "Age of the oldest export job not yet done (0 when none).",
	}, func() float64 {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		st, err := js.Stream(ctx, bus.StreamExport)
		if err != nil {
			return 0
		}
		info := st.CachedInfo()
		if info == nil || info.State.Msgs == 0 {
			return 0
		}
		return time.Since(info.State.FirstTime).Seconds()
	})
	for _, c := range []prometheus.Collector{m.exports, m.bytes, m.duration, m.purges, oldest} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("dmsexport: metrics: %w", err)
		}
	}
	return m, nil
}

// zero makes every series of an exported (tenant, provider) exist from
// the start, so alerts and rate() see a 0 before the first export.
func (m *metrics) zero(tenant, provider string) {
	for _, o := range []string{"exported", "retry", "failed"} {
		m.exports.WithLabelValues(tenant, provider, o)
	}
	m.bytes.WithLabelValues(tenant, provider)
	m.duration.WithLabelValues(provider)
	for _, o := range []string{"purged", "unsupported", "refused", "unknown"} {
		m.purges.WithLabelValues(provider, o)
	}
}
