package sandbox

import (
	"encoding/json"
	"slices"
	"time"
)

// Report counts what Fire did. Among genuine callbacks:
//
//	Callbacks = Dropped + Delivered + Failed
//	Sent      = (Callbacks − Dropped) + Retried + Duplicated
//	Retried   = TransportErrors + Non2xx + BadAck + LostAcks − Failed
//
// (the last when Fire was not cancelled). Non2xx, BadAck and
// TransportErrors count attempts of a callback's delivery chain only, not
// duplicates. Forged deliveries are counted apart: Forged =
// Rejected401 + ForgedNot401, and the latter must stay zero.
type Report struct {
	Envelopes int `json:"envelopes"`
	// Callbacks is how many callbacks the envelopes' steps produce.
	Callbacks int `json:"callbacks"`
	// Sent is how many genuine HTTP requests were made.
	Sent int `json:"sent"`
	// Duplicated counts extra byte-identical deliveries.
	Duplicated int `json:"duplicated"`
	// Reordered counts callbacks sent at another position than their
	// step's within the envelope.
	Reordered int `json:"reordered"`
	// Dropped counts callbacks never sent; OutageDropped is the part lost
	// to outage windows.
	Dropped       int `json:"dropped"`
	OutageDropped int `json:"outage_dropped"`
	Forged        int `json:"forged"`
	Rejected401   int `json:"rejected_401"`
	// ForgedNot401 counts forged deliveries answered anything but 401
	// (or not answered): each one is a finding.
	ForgedNot401 int `json:"forged_not_401"`
	// Retried counts redeliveries after a failed or lost answer.
	Retried int `json:"retried"`
	Non2xx  int `json:"non_2xx"`
	// BadAck counts 2xx answers without the provider's required body or
	// header (Dropbox Sign's text, Adobe Sign's client id echo).
	BadAck          int `json:"bad_ack"`
	TransportErrors int `json:"transport_errors"`
	// LostAcks counts 2xx answers the provider pretended not to see.
	LostAcks int `json:"lost_acks"`
	// Delivered and Failed split the sent callbacks by the provider's
	// final view: acknowledged, or given up after every redelivery.
	Delivered int `json:"delivered"`
	Failed    int `json:"failed"`
	// StatusCodes counts answers of the delivery chains by HTTP status.
	StatusCodes map[int]int `json:"status_codes"`
	// AckLatencies are the round-trip times of acknowledged attempts.
	AckLatencies Latencies `json:"-"`
}

// Latencies is a set of round-trip times.
type Latencies []time.Duration

// Quantile returns the q-quantile (0 ≤ q ≤ 1, nearest rank), or 0 for an
// empty set.
func (l Latencies) Quantile(q float64) time.Duration {
	if len(l) == 0 {
		return 0
	}
	s := slices.Clone(l)
	slices.Sort(s)
	i := int(q*float64(len(s)-1) + 0.5)
	return s[max(0, min(i, len(s)-1))]
}

// P50 returns the median.
func (l Latencies) P50() time.Duration { return l.Quantile(0.50) }

// P99 returns the 99th percentile.
func (l Latencies) P99() time.Duration { return l.Quantile(0.99) }

// MarshalJSON writes the counters and the latency summary (milliseconds)
// instead of every latency.
func (r Report) MarshalJSON() ([]byte, error) {
	type plain Report
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	return json.Marshal(struct {
		plain
		AckCount int     `json:"ack_count"`
		AckP50ms float64 `json:"ack_p50_ms"`
		AckP99ms float64 `json:"ack_p99_ms"`
	}{plain(r), len(r.AckLatencies), ms(r.AckLatencies.P50()), ms(r.AckLatencies.P99())})
}

// add merges o into r.
func (r *Report) add(o Report) {
	r.Callbacks += o.Callbacks
	r.Sent += o.Sent
	r.Duplicated += o.Duplicated
	r.Reordered += o.Reordered
	r.Dropped += o.Dropped
	r.OutageDropped += o.OutageDropped
	r.Forged += o.Forged
	r.Rejected401 += o.Rejected401
	r.ForgedNot401 += o.ForgedNot401
	r.Retried += o.Retried
	r.Non2xx += o.Non2xx
	r.BadAck += o.BadAck
	r.TransportErrors += o.TransportErrors
	r.LostAcks += o.LostAcks
	r.Delivered += o.Delivered
	r.Failed += o.Failed
	if r.StatusCodes == nil {
		r.StatusCodes = map[int]int{}
	}
	for k, v := range o.StatusCodes {
		r.StatusCodes[k] += v
	}
	r.AckLatencies = append(r.AckLatencies, o.AckLatencies...)
}
