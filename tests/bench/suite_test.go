package bench

import (
	"io"
	"strings"
	"testing"
	"time"
)

func TestSuiteRatios(t *testing.T) {
	s := &suite{r: &Results{Ratios: map[string]float64{}, Saturation: []LoadResult{
		{Name: "countersign/standardwebhooks", Rate: 3000},
		{Name: "countersign/docusign", Rate: 0},
		{Name: "ceiling/bare", Rate: 12000},
		{Name: "ceiling/verify", Rate: 10000},
	}}}
	s.ratios()
	want := map[string]float64{
		"countersign/standardwebhooks ÷ ceiling/bare":   0.25,
		"countersign/standardwebhooks ÷ ceiling/verify": 0.3,
	}
	if len(s.r.Ratios) != len(want) {
		t.Fatalf("ratios = %v, want %v", s.r.Ratios, want)
	}
	for k, v := range want {
		if s.r.Ratios[k] != v {
			t.Errorf("ratio %s = %v, want %v", k, s.r.Ratios[k], v)
		}
	}
}

func TestSuitePhases(t *testing.T) {
	sw, err := NewStandardWebhooksSigner(SWSecret)
	if err != nil {
		t.Fatal(err)
	}
	o := Options{Log: io.Discard}
	o.defaults()
	s := &suite{o: o, sw: sw, ds: NewDocuSignSigner(DocuSignKey)}
	want := []struct {
		name, kind string
		sync       bool
		drain      time.Duration
	}{
		{"open1000", "standardwebhooks", false, 30 * time.Second},
		{"open5000", "standardwebhooks", false, 10 * time.Second},
		{"open10000", "standardwebhooks", false, 10 * time.Second},
		{"swsat", "standardwebhooks", false, 30 * time.Second},
		{"dssat", "docusign", false, 10 * time.Second},
		{"syncsat", "standardwebhooks", true, 10 * time.Second},
	}
	got := s.phases()
	if len(got) != len(want) {
		t.Fatalf("%d phases, want %d", len(got), len(want))
	}
	for i, w := range want {
		p := got[i]
		if p.name != w.name || p.signer.Kind() != w.kind || p.sync != w.sync || p.drain != w.drain || strings.Contains(p.name, "-") {
			t.Errorf("phase %d = {%s %s sync=%v drain=%v}, want %+v", i, p.name, p.signer.Kind(), p.sync, p.drain, w)
		}
	}
}

func TestRunNeedsBinaries(t *testing.T) {
	if _, err := Run(t.Context(), Options{Log: io.Discard}); err == nil {
		t.Fatal("Run without Binary and Self did not fail")
	}
}

func TestOptionsRuns(t *testing.T) {
	tests := []struct {
		only  []string
		phase string
		want  bool
	}{
		{nil, "swsat", true},
		{[]string{"swsat", "bare"}, "swsat", true},
		{[]string{"swsat", "bare"}, "bare", true},
		{[]string{"swsat", "bare"}, "gobench", false},
	}
	for _, tt := range tests {
		o := Options{Only: tt.only}
		if got := o.runs(tt.phase); got != tt.want {
			t.Errorf("Only %v: runs(%q) = %v, want %v", tt.only, tt.phase, got, tt.want)
		}
	}
}
