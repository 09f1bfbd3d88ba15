package bus

import (
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/countersign/countersign/shared/subjects"
)

// The AsyncAPI document tells subscribers what order they can rely on;
// its x-countersign-ordering block must describe the topology Setup
// declares.
func TestAsyncAPIOrderingMatchesTopology(t *testing.T) {
	data, err := os.ReadFile("../envelope/asyncapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Channels map[string]struct {
			Ordering struct {
				Scope      string   `yaml:"scope"`
				Key        []string `yaml:"partitionKey"`
				Partitions int      `yaml:"defaultPartitions"`
				Streams    []string `yaml:"partitionedStreams"`
				InFlight   int      `yaml:"inFlightPerPartition"`
			} `yaml:"x-countersign-ordering"`
		} `yaml:"channels"`
	}
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	o := doc.Channels["envelopeEntries"].Ordering
	if o.Scope != "envelope" || !slices.Equal(o.Key, []string{"tenant", "envelope"}) ||
		o.Partitions != subjects.DefaultPartitions || o.InFlight != DefaultInFlight {
		t.Errorf("x-countersign-ordering = %+v", o)
	}
	var streams []string
	for _, p := range partitionedStreams {
		streams = append(streams, p.stream)
		// The partition hashes the tenant and the envelope tokens, nothing else.
		tr := p.transform(o.Partitions).Destination
		want := "{{partition(" + strconv.Itoa(o.Partitions) + ",1," + strconv.Itoa(p.keys[1]) + ")}}"
		if p.keys[0] != 1 || !strings.Contains(tr, want) {
			t.Errorf("%s: transform %s, want the partition of tenant and envelope %s", p.stream, tr, want)
		}
		for _, c := range p.consumers(Topology{}) {
			if c.MaxAckPending != o.InFlight {
				t.Errorf("%s: MaxAckPending %d, document says %d", c.Durable, c.MaxAckPending, o.InFlight)
			}
		}
	}
	if !slices.Equal(streams, o.Streams) {
		t.Errorf("partitioned streams %v, document says %v", streams, o.Streams)
	}
}
