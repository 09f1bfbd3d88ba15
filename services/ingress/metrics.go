package ingress

import "github.com/prometheus/client_golang/prometheus"

type metrics struct {
	requests *prometheus.CounterVec
	persist  prometheus.Histogram
	// reused counts delivery ids seen again with a different body inside
	// RAW's duplicate window: stored, and worth a look.
	reused *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "countersign_ingress_requests_total",
			Help: "Callbacks answered, by tenant, provider and HTTP status.",
		}, []string{"tenant", "provider", "code"}),
		persist: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "countersign_ingress_persist_seconds",
			Help:    "Time from request to JetStream ack of the raw callback.",
			Buckets: []float64{.0005, .001, .002, .005, .01, .025, .05, .1, .25, .5, 1, 5},
		}),
		reused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "countersign_ingress_delivery_id_reused_total",
			Help: "Deliveries whose id was already stored with a different body (stored again; suspicious).",
		}, []string{"tenant", "provider"}),
	}
	for _, c := range []prometheus.Collector{m.requests, m.persist, m.reused} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}
