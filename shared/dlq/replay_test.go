package dlq

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/countersign/countersign/shared/bus"
)

func TestReplayByID(t *testing.T) {
	n := startBus(t)
	s := newTestStore(t, n)
	s.metrics = NewMetrics(prometheus.NewRegistry())
	e := entry("a", "statesync", "acme", bus.ClassPermanent, time.Now().UTC())
	writeEntry(t, n.JS, e)
	writeEntry(t, n.JS, entry("b", "statesync", "acme", bus.ClassPermanent, time.Now().UTC()))

	res, err := s.Replay(t.Context(), Selection{IDs: []string{"a", "missing"}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Matched != 1 || res.Replayed != 1 || res.Skipped != 0 || !slices.Equal(res.NotFound, []string{"missing"}) {
		t.Errorf("Replay = %+v", res)
	}
	state, err := n.JS.Stream(t.Context(), bus.StreamState)
	if err != nil {
		t.Fatal(err)
	}
	got, err := state.GetLastMsgForSubject(t.Context(), "state.*"+strings.TrimPrefix(e.Subject, "state")) // the stream inserts the partition
	if err != nil {
		t.Fatalf("replayed message: %v", err)
	}
	if string(got.Data) != string(e.Payload) || got.Header.Get(bus.HeaderReplayOf) != "a" ||
		got.Header.Get(bus.HeaderTenant) != "acme" {
		t.Errorf("replayed message = %q %v", got.Data, got.Header)
	}
	if id := got.Header.Get(bus.HeaderMsgID); id == "" || id == "orig-a" {
		t.Errorf("replay Nats-Msg-Id = %q, want a fresh one", id)
	}
	if v := testutil.ToFloat64(s.metrics.Replayed.WithLabelValues(sourceDLQ, resultReplayed)); v != 1 {
		t.Errorf("replayed_total = %v, want 1", v)
	}

	// The entry is rewritten, not duplicated, and records the replay.
	list, err := s.List(t.Context(), Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ids(list), []string{"b", "a"}) {
		t.Fatalf("entries after replay = %v, want [b a]", ids(list))
	}
	if r := list[1]; r.ReplayedAt == nil || !strings.HasPrefix(r.ReplayResult, "published to STATE seq ") ||
		string(r.Payload) != string(e.Payload) {
		t.Errorf("replayed entry = %+v", r)
	}
	if list[0].ReplayedAt != nil {
		t.Errorf("entry b marked replayed")
	}
}

func TestReplaySkipsReplayedUnlessForced(t *testing.T) {
	n := startBus(t)
	s := newTestStore(t, n)
	writeEntry(t, n.JS, entry("a", "statesync", "acme", bus.ClassPermanent, time.Now().UTC()))
	steps := []struct {
		name string
		sel  Selection
		want Result
	}{
		{"first", Selection{IDs: []string{"a"}}, Result{Matched: 1, Replayed: 1}},
		{"again", Selection{IDs: []string{"a"}}, Result{Matched: 1, Skipped: 1}},
		{"forced dry run", Selection{IDs: []string{"a"}, Force: true, DryRun: true}, Result{Matched: 1}},
		{"forced", Selection{IDs: []string{"a"}, Force: true}, Result{Matched: 1, Replayed: 1}},
	}
	for _, st := range steps {
		res, err := s.Replay(t.Context(), st.sel)
		if err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if res.Matched != st.want.Matched || res.Replayed != st.want.Replayed || res.Skipped != st.want.Skipped {
			t.Errorf("%s: Replay = %+v, want %+v", st.name, res, st.want)
		}
	}
	if got := streamMsgs(t, n, bus.StreamState); got != 2 {
		t.Errorf("STATE holds %d messages, want 2 (one replay, one forced)", got)
	}
	if got := streamMsgs(t, n, bus.StreamDLQ); got != 1 {
		t.Errorf("DLQ holds %d messages, want 1", got)
	}
}

func TestReplayByRange(t *testing.T) {
	base := time.Now().UTC().Truncate(time.Second)
	cases := []struct {
		name              string
		sel               Selection
		matched, replayed int
	}{
		{"window", Selection{Filter: Filter{Since: base.Add(30 * time.Second), Until: base.Add(150 * time.Second)}}, 2, 2},
		{"window and class", Selection{Filter: Filter{Since: base, Class: bus.ClassPanic}}, 1, 1},
		{"tenant", Selection{Filter: Filter{Since: base, Tenant: "globex"}}, 2, 2},
		{"dry run", Selection{Filter: Filter{Since: base}, DryRun: true}, 4, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			n := startBus(t)
			s := newTestStore(t, n)
			for _, e := range []bus.DeadLetter{
				entry("a", "verifier", "acme", bus.ClassPermanent, base),
				entry("b", "statesync", "acme", bus.ClassTransient, base.Add(time.Minute)),
				entry("c", "verifier", "globex", bus.ClassPanic, base.Add(2*time.Minute)),
				entry("d", "statesync", "globex", ClassMaxDeliveries, base.Add(3*time.Minute)),
			} {
				writeEntry(t, n.JS, e)
			}
			res, err := s.Replay(t.Context(), tc.sel)
			if err != nil {
				t.Fatal(err)
			}
			if res.Matched != tc.matched || res.Replayed != tc.replayed {
				t.Errorf("Replay = %+v, want matched %d replayed %d", res, tc.matched, tc.replayed)
			}
			if got := streamMsgs(t, n, bus.StreamState); got != uint64(tc.replayed) {
				t.Errorf("STATE holds %d messages, want %d", got, tc.replayed)
			}
		})
	}
}

func TestReplayRejectsBadSelections(t *testing.T) {
	n := startBus(t)
	s := newTestStore(t, n)
	for name, sel := range map[string]Selection{
		"nothing":             {},
		"range with no since": {Filter: Filter{Tenant: "acme"}},
		"ids and filters":     {IDs: []string{"a"}, Filter: Filter{Tenant: "acme"}},
		"bad tenant":          {Filter: Filter{Since: time.Now(), Tenant: "a>"}},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := s.Replay(t.Context(), sel); !errors.Is(err, ErrInvalidSelection) {
				t.Errorf("Replay = %v, want ErrInvalidSelection", err)
			}
		})
	}
}

func TestReplayRaw(t *testing.T) {
	n := startBus(t)
	// No verifier runs here: its durable consumer would not touch RAW's history anyway.
	before := time.Now().UTC()
	first := publish(t, n.JS, bus.RawSubject("acme", "docusign", "env-1"), "acme", "", []byte(`{"n":1}`), nats.Header{bus.HeaderMsgID: {"delivery-1"}})
	publish(t, n.JS, bus.RawSubject("globex", "docusign", "env-1"), "globex", "", []byte(`{"n":2}`), nil)
	publish(t, n.JS, bus.RawSubject("acme", "adobesign", "env-1"), "acme", "", []byte(`{"n":3}`), nil)
	// An earlier replay in the window is not replayed again.
	publish(t, n.JS, bus.RawSubject("acme", "docusign", "env-1"), "acme", "", []byte(`{"n":1}`), nats.Header{bus.HeaderReplayOf: {"RAW-1"}})

	cases := []struct {
		name              string
		sel               RawSelection
		matched, replayed int
	}{
		{"dry run", RawSelection{Since: before, DryRun: true}, 3, 0},
		{"tenant", RawSelection{Since: before, Tenant: "globex", DryRun: true}, 1, 0},
		{"provider", RawSelection{Since: before, Provider: "adobesign", DryRun: true}, 1, 0},
		{"window before", RawSelection{Since: before.Add(-time.Hour), Until: before.Add(-time.Minute), DryRun: true}, 0, 0},
		{"replay", RawSelection{Since: before, Tenant: "acme", Provider: "docusign"}, 1, 1},
	}
	for _, tc := range cases {
		res, err := newTestStore(t, n).ReplayRaw(t.Context(), tc.sel)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if res.Matched != tc.matched || res.Replayed != tc.replayed {
			t.Errorf("%s: ReplayRaw = %+v, want matched %d replayed %d", tc.name, res, tc.matched, tc.replayed)
		}
	}
	raw, err := n.JS.Stream(t.Context(), bus.StreamRaw)
	if err != nil {
		t.Fatal(err)
	}
	got, err := raw.GetLastMsgForSubject(t.Context(), "raw.*.acme.docusign.env-1")
	if err != nil {
		t.Fatal(err)
	}
	if got.Header.Get(bus.HeaderReplayOf) != "RAW-1" || string(got.Data) != `{"n":1}` ||
		got.Header.Get(bus.HeaderMsgID) == "delivery-1" || got.Sequence <= first+3 {
		t.Errorf("replayed raw = seq %d %q %v", got.Sequence, got.Data, got.Header)
	}
	if _, err := newTestStore(t, n).ReplayRaw(t.Context(), RawSelection{}); !errors.Is(err, ErrInvalidSelection) {
		t.Errorf("ReplayRaw without since = %v, want ErrInvalidSelection", err)
	}
}

func TestSizeCollector(t *testing.T) {
	n := startBus(t)
	reg := prometheus.NewRegistry()
	for range 2 { // a second registration (two services) is fine
		if err := RegisterSize(reg, n.JS); err != nil {
			t.Fatal(err)
		}
	}
	writeEntry(t, n.JS, entry("a", "verifier", "acme", bus.ClassPermanent, time.Now()))
	writeEntry(t, n.JS, entry("b", "verifier", "acme", bus.ClassPermanent, time.Now()))
	if got, err := testutil.GatherAndCount(reg, "countersign_dlq_messages"); err != nil || got != 1 {
		t.Fatalf("countersign_dlq_messages series = %d, %v", got, err)
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == "countersign_dlq_messages" {
			if v := mf.GetMetric()[0].GetGauge().GetValue(); v != 2 {
				t.Errorf("countersign_dlq_messages = %v, want 2", v)
			}
		}
	}
}
