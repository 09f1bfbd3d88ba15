package reconciler

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/countersign/countersign/shared/providers/apiclient"
)

// metrics are the reconciler's Prometheus series, labelled by tenant and
// provider.
type metrics struct {
	polls     *prometheus.CounterVec
	checked   *prometheus.CounterVec
	drift     *prometheus.CounterVec
	published *prometheus.CounterVec
	apiErrors *prometheus.CounterVec
	// authFailures is apiclient.AuthFailures, shared with the verifier.
	authFailures *prometheus.CounterVec
	lag          *prometheus.GaugeVec
	incident     *prometheus.GaugeVec
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	tp := []string{"tenant", "provider"}
	m := &metrics{
		polls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "countersign_reconciler_polls_total",
			Help: "Poll rounds by outcome (ok, error, lease_held).",
		}, append(tp, "outcome")),
		checked: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "countersign_reconciler_checked_total",
			Help: "Envelopes whose provider status was compared with countersign's.",
		}, tp),
		drift: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "countersign_reconciler_drift_total",
			Help: "Envelopes whose state at the provider differed from countersign's.",
		}, tp),
		published: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "countersign_reconciler_published_total",
			Help: "Canonical events the reconciler published to STATE (source poll).",
		}, tp),
		apiErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "countersign_reconciler_api_errors_total",
			Help: "Provider API calls that failed after retries.",
		}, tp),
		lag: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "countersign_reconciler_lag_seconds",
			Help: "Age of the oldest change the last round found missing (0: none).",
		}, tp),
		incident: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "countersign_reconciler_incident_mode",
			Help: "1 while a provider is polled at its incident interval.",
		}, tp),
	}
	for _, c := range []prometheus.Collector{m.polls, m.checked, m.drift, m.published, m.apiErrors, m.lag, m.incident} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("reconciler: metrics: %w", err)
		}
	}
	var err error
	if m.authFailures, err = apiclient.AuthFailures(reg); err != nil {
		return nil, fmt.Errorf("reconciler: metrics: %w", err)
	}
	return m, nil
}
