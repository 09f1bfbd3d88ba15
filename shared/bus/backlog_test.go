package bus_test

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/countersign/countersign/shared/bus"
	"github.com/countersign/countersign/shared/meshtest"
)

// scrape gathers reg into "name{label=value,...}" → value.
func scrape(t *testing.T, reg *prometheus.Registry) map[string]float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatalf("Gather: %v", err)
	}
	out := map[string]float64{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			var ls []string
			for _, lp := range m.GetLabel() {
				ls = append(ls, lp.GetName()+"="+lp.GetValue())
			}
			sort.Strings(ls)
			out[mf.GetName()+"{"+strings.Join(ls, ",")+"}"] = m.GetGauge().GetValue()
		}
	}
	return out
}

func TestTopologyConsumersNamesEveryStream(t *testing.T) {
	got := bus.TopologyConsumers(bus.Topology{Partitions: 2})
	for _, sc := range bus.StreamConfigs(bus.Topology{}) {
		if _, ok := got[sc.Name]; !ok {
			t.Errorf("stream %s missing", sc.Name)
		}
	}
	if d := got[bus.StreamRaw]; len(d) != 2 || d[1] != "verifier-01" {
		t.Errorf("RAW consumers = %v", d)
	}
	if d := got[bus.StreamState]; len(d) != 2 || d[0] != "statesync-00" {
		t.Errorf("STATE consumers = %v", d)
	}
}

// The collector follows a consumer through publish, delivery, a NAK and
// redelivery, and acks; it leaves out consumers and streams that do not
// exist.
func TestBacklogCollector(t *testing.T) {
	r := newRig(t, bus.Topology{Partitions: 1})
	ctx, cancel := context.WithTimeout(context.Background(), waitLong)
	defer cancel()
	// A plain consumer beside the partition ones (one message in flight
	// each), so the steps below can hold several messages.
	if _, err := r.js.CreateOrUpdateConsumer(ctx, bus.StreamRaw, bus.ConsumerConfig(r.topo, "probe", bus.StreamRaw)); err != nil {
		t.Fatal(err)
	}
	consumers := bus.TopologyConsumers(r.topo)
	consumers[bus.StreamRaw] = append(consumers[bus.StreamRaw], "probe", "ghost")
	consumers["NOSUCH"] = []string{"nobody"}
	reg := prometheus.NewRegistry()
	reg.MustRegister(bus.NewBacklogCollector(r.js, consumers))

	for i := range 3 {
		if _, err := r.js.Publish(ctx, bus.RawSubject("acme", "docusign", "env-1"), fmt.Appendf(nil, "callback %d", i)); err != nil {
			t.Fatal(err)
		}
	}
	cons, err := r.js.Consumer(ctx, bus.StreamRaw, "probe")
	if err != nil {
		t.Fatal(err)
	}
	fetch := func(n int) []jetstream.Msg {
		t.Helper()
		b, err := cons.Fetch(n, jetstream.FetchMaxWait(5*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		var ms []jetstream.Msg
		for m := range b.Messages() {
			ms = append(ms, m)
		}
		if len(ms) != n {
			t.Fatalf("fetched %d, want %d", len(ms), n)
		}
		return ms
	}
	const (
		pending = `countersign_consumer_pending{consumer=probe,stream=RAW}`
		ackPend = `countersign_consumer_ack_pending{consumer=probe,stream=RAW}`
		redeliv = `countersign_consumer_redelivered{consumer=probe,stream=RAW}`
		age     = `countersign_consumer_oldest_pending_age_seconds{consumer=probe,stream=RAW}`
		rawMsgs = `countersign_stream_messages{stream=RAW}`
		stPend  = `countersign_consumer_pending{consumer=statesync-00,stream=STATE}`
		dlqMsgs = `countersign_stream_messages{stream=DLQ}`
	)
	var held []jetstream.Msg
	for _, step := range []struct {
		name string
		act  func()
		want map[string]float64
		aged bool // the oldest pending age must be above zero
	}{
		{"published", func() {}, map[string]float64{pending: 3, ackPend: 0, redeliv: 0, rawMsgs: 3, stPend: 0, dlqMsgs: 0}, true},
		{"two delivered", func() { held = fetch(2) }, map[string]float64{pending: 1, ackPend: 2, redeliv: 0, rawMsgs: 3}, true},
		{"one nak'd and redelivered", func() {
			if err := held[0].Nak(); err != nil {
				t.Fatal(err)
			}
			// The NAK'd message and the third come in either order.
			held = append(held[1:], fetch(2)...)
		}, map[string]float64{pending: 0, ackPend: 3, redeliv: 1}, true},
		{"all acked", func() {
			for _, m := range held {
				if err := m.DoubleAck(ctx); err != nil {
					t.Fatal(err)
				}
			}
		}, map[string]float64{pending: 0, ackPend: 0, redeliv: 0, age: 0, rawMsgs: 3}, false},
	} {
		step.act()
		meshtest.CheckFor(t, waitLong, 20*time.Millisecond, func() error {
			got := scrape(t, reg)
			for k, v := range step.want {
				if g, ok := got[k]; !ok || g != v {
					return fmt.Errorf("%s: %s = %v (present %v), want %v", step.name, k, g, ok, v)
				}
			}
			if step.aged && got[age] <= 0 {
				return fmt.Errorf("%s: %s = %v, want > 0", step.name, age, got[age])
			}
			return nil
		})
	}

	got := scrape(t, reg)
	for k := range got {
		if strings.Contains(k, "ghost") || strings.Contains(k, "NOSUCH") || strings.Contains(k, "nobody") {
			t.Errorf("missing consumer or stream reported: %s", k)
		}
	}
	for _, sc := range bus.StreamConfigs(bus.Topology{}) {
		if _, ok := got["countersign_stream_bytes{stream="+sc.Name+"}"]; !ok {
			t.Errorf("no countersign_stream_bytes for %s", sc.Name)
		}
	}
}
