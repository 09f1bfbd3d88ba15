package notifier

import "github.com/prometheus/client_golang/prometheus"

type metrics struct {
	timers       *prometheus.CounterVec
	reminders    *prometheus.CounterVec
	escalations  *prometheus.CounterVec
	replacements *prometheus.CounterVec
	skipped      *prometheus.CounterVec
	notified     *prometheus.CounterVec
	lateness     *prometheus.HistogramVec
	timeToSign   *prometheus.HistogramVec
	outcomes     *prometheus.CounterVec
	paused       *prometheus.GaugeVec
	windowRate   *prometheus.GaugeVec
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		timers: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "countersign_notifier_timers_total",
			Help: "Durable timers set (JetStream message schedules), by kind.",
		}, []string{"kind"}),
		reminders: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "countersign_notifier_reminders_total",
			Help: "Reminders sent, by tenant, provider and via (provider or channels).",
		}, []string{"tenant", "provider", "via"}),
		escalations: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "countersign_notifier_escalations_total",
			Help: "Escalations, by tenant, provider and reason (failures, unsigned, expired).",
		}, []string{"tenant", "provider", "reason"}),
		replacements: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "countersign_notifier_replacements_total",
			Help: "Recipients replaced by their alternate at the provider.",
		}, []string{"tenant", "provider"}),
		skipped: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "countersign_notifier_skipped_total",
			Help: "Fired timers and queued actions that no longer applied, by kind and reason.",
		}, []string{"kind", "reason"}),
		notified: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "countersign_notifier_notifications_sent_total",
			Help: "Notifications a channel accepted, by channel kind and event.",
		}, []string{"channel", "event"}),
		lateness: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "countersign_notifier_timer_lateness_seconds",
			Help:    "How long after its due time a timer's action ran.",
			Buckets: []float64{0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300},
		}, []string{"kind"}),
		timeToSign: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "countersign_notifier_time_to_sign_seconds",
			Help:    "From an envelope's sent to its completed.",
			Buckets: prometheus.ExponentialBuckets(60, 4, 10), // 1 min … ~6 months
		}, []string{"tenant", "provider"}),
		outcomes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "countersign_notifier_envelopes_total",
			Help: "Envelopes by what befell them (sent, bounced, expired, partially_signed, auth_failed, completed): divide by sent for rates.",
		}, []string{"tenant", "provider", "outcome"}),
		paused: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "countersign_notifier_playbook_paused",
			Help: "1 while a tenant's reminders are paused for a high bounce or expiry rate.",
		}, []string{"tenant"}),
		windowRate: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "countersign_notifier_window_rate",
			Help: "Bounce and expiry rate over a tenant's last pause.window envelopes.",
		}, []string{"tenant", "kind"}),
	}
	for _, c := range []prometheus.Collector{m.timers, m.reminders, m.escalations, m.replacements, m.skipped,
		m.notified, m.lateness, m.timeToSign, m.outcomes, m.paused, m.windowRate} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// sent counts a notification a channel accepted.
func (m *metrics) sent(kind, event string) { m.notified.WithLabelValues(kind, event).Inc() }
