package bus

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"
)

// Outcomes counted by WithMetrics.
const (
	OutcomeAck       = "ack"
	OutcomeTransient = "transient"
	OutcomePermanent = "permanent"
	OutcomePanic     = "panic"
)

// Metrics holds the worker collectors. A nil *Metrics records nothing.
type Metrics struct {
	// Processed counts handler results by service and outcome.
	Processed *prometheus.CounterVec
	// HandlerSeconds observes handler durations by service.
	HandlerSeconds *prometheus.HistogramVec
	// DeadLetters counts DLQ entries written by service and class.
	DeadLetters *prometheus.CounterVec
	// Paused is 1 while a service's consumer is paused on a dependency
	// outage (by service and dependency).
	Paused *prometheus.GaugeVec
	// Pauses counts pauses on dependency outages.
	Pauses *prometheus.CounterVec
}

// NewMetrics creates the collectors and registers them with reg (when not
// nil). Registering twice with one registry reuses the collectors already
// there, so several services in one process share them.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		Processed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "countersign", Subsystem: "worker", Name: "processed_total",
			Help: "Messages handled, by service and outcome (ack, transient, permanent, panic).",
		}, []string{"service", "outcome"}),
		HandlerSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "countersign", Subsystem: "worker", Name: "handler_seconds",
			Help:    "Handler duration, by service.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"service"}),
		DeadLetters: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "countersign", Name: "dlq_total",
			Help: "Dead letters written, by service and error class.",
		}, []string{"service", "class"}),
		Paused: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: "countersign", Subsystem: "worker", Name: "paused",
			Help: "1 while the service's consumer is paused because a dependency is down.",
		}, []string{"service", "dependency"}),
		Pauses: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "countersign", Subsystem: "worker", Name: "pauses_total",
			Help: "Consumer pauses on a dependency outage, by service and dependency.",
		}, []string{"service", "dependency"}),
	}
	if reg != nil {
		m.Paused = register(reg, m.Paused)
		m.Pauses = register(reg, m.Pauses)
		m.Processed = register(reg, m.Processed)
		m.HandlerSeconds = register(reg, m.HandlerSeconds)
		m.DeadLetters = register(reg, m.DeadLetters)
	}
	return m
}

// register registers c, or returns the equal collector already registered.
func register[C prometheus.Collector](reg prometheus.Registerer, c C) C {
	if err := reg.Register(c); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			if existing, ok := are.ExistingCollector.(C); ok {
				return existing
			}
		}
		// A conflicting collector of another shape: keep ours unregistered
		// rather than fail the service over a metric.
	}
	return c
}

func (m *Metrics) deadLettered(service, class string) {
	if m == nil {
		return
	}
	m.DeadLetters.WithLabelValues(service, class).Inc()
}

func (m *Metrics) paused(service, dependency string, on bool) {
	if m == nil {
		return
	}
	v := 0.0
	if on {
		v = 1
		m.Pauses.WithLabelValues(service, dependency).Inc()
	}
	m.Paused.WithLabelValues(service, dependency).Set(v)
}
