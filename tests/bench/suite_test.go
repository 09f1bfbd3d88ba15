package bench

import (
	"io"
	"testing"
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

func TestSuiteSignerFor(t *testing.T) {
	sw, err := NewStandardWebhooksSigner(SWSecret)
	if err != nil {
		t.Fatal(err)
	}
	s := &suite{sw: sw, ds: NewDocuSignSigner(DocuSignKey)}
	tests := map[string]string{"dssat": "docusign", "swsat": "standardwebhooks", "open1000": "standardwebhooks", "d": "standardwebhooks"}
	for phase, want := range tests {
		if got := s.signerFor(phase).Kind(); got != want {
			t.Errorf("signerFor(%q) = %s, want %s", phase, got, want)
		}
	}
}

func TestRunNeedsBinaries(t *testing.T) {
	if _, err := Run(t.Context(), Options{Log: io.Discard}); err == nil {
		t.Fatal("Run without Binary and Self did not fail")
	}
}
