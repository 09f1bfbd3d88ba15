package sandbox

import (
	"errors"
	"math/rand"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/countersign/countersign/shared/envelope"
)

func TestGenerateIDFormats(t *testing.T) {
	formats := map[string]*regexp.Regexp{
		KindDocuSign:         regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`),
		KindESignAnyWhere:    regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`),
		KindDropboxSign:      regexp.MustCompile(`^[0-9a-f]{40}$`),
		KindAdobeSign:        regexp.MustCompile(`^CBJCHBCAABAA[A-Za-z0-9_-]{32}$`),
		KindStandardWebhooks: regexp.MustCompile(`^\S+$`),
		KindPandaDoc:         regexp.MustCompile(`^[A-Za-z0-9]{22}$`),
	}
	envs := Generate(rand.New(rand.NewSource(11)), 300, nil, "acme")
	encoded, seen := 0, map[string]bool{}
	for _, e := range envs {
		if !formats[e.Provider].MatchString(e.ID) {
			t.Errorf("%s id %q not in the provider's format", e.Provider, e.ID)
		}
		if seen[e.Key()] {
			t.Errorf("duplicate envelope %s", e.Key())
		}
		seen[e.Key()] = true
		if strings.ContainsAny(e.ID, ":/") {
			encoded++
		}
	}
	if encoded == 0 {
		t.Error("no Standard Webhooks id needs subject encoding")
	}
}

func TestGenerateLifecycles(t *testing.T) {
	envs := Generate(rand.New(rand.NewSource(12)), 400, nil, "acme")
	states := map[envelope.State]int{}
	bounces := 0
	for _, e := range envs {
		states[e.Truth]++
		if len(e.Recipients) < 1 || len(e.Recipients) > 3 {
			t.Fatalf("%s: %d recipients", e.Key(), len(e.Recipients))
		}
		if e.Script[0].Type != envelope.TypeSent {
			t.Fatalf("%s: starts with %s", e.Key(), e.Script[0].Type)
		}
		for i := 1; i < len(e.Script); i++ {
			if e.Script[i].At.Truncate(time.Second).Sub(e.Script[i-1].At.Truncate(time.Second)) < time.Second {
				t.Fatalf("%s: steps %d and %d share a second", e.Key(), i-1, i)
			}
		}
		for _, st := range e.Script {
			if st.Type == envelope.TypeRecipientDeliveryFailed {
				bounces++
			}
		}
		if st, _ := e.Fold(len(e.Script)); st != e.Truth {
			t.Fatalf("%s: Truth %s, fold %s", e.Key(), e.Truth, st)
		}
		if e.Tenant != "acme" {
			t.Fatalf("tenant %q", e.Tenant)
		}
	}
	for _, s := range []envelope.State{envelope.StateCompleted, envelope.StateDeclined, envelope.StateVoided,
		envelope.StateExpired, envelope.StateSent, envelope.StatePartiallySigned} {
		if states[s] == 0 {
			t.Errorf("no envelope ends %s: %v", s, states)
		}
	}
	if bounces == 0 {
		t.Error("no bounces generated")
	}
}

func TestGenerateIsDeterministic(t *testing.T) {
	a := Generate(rand.New(rand.NewSource(13)), 20, []string{KindDocuSign, KindAdobeSign}, "t1")
	b := Generate(rand.New(rand.NewSource(13)), 20, []string{KindDocuSign, KindAdobeSign}, "t1")
	for i := range a {
		if a[i].ID != b[i].ID || a[i].Truth != b[i].Truth || len(a[i].Script) != len(b[i].Script) ||
			!slices.Equal(a[i].Recipients, b[i].Recipients) {
			t.Fatalf("envelope %d differs: %+v vs %+v", i, a[i], b[i])
		}
		if want := []string{KindDocuSign, KindAdobeSign}[i%2]; a[i].Provider != want {
			t.Fatalf("envelope %d is %s, want %s", i, a[i].Provider, want)
		}
	}
}

func TestFold(t *testing.T) {
	at := time.Date(2026, 1, 13, 7, 0, 0, 0, time.UTC)
	e := &Envelope{Provider: KindDropboxSign, ID: "x", Recipients: []Recipient{{ID: "a", Email: "a@x"}, {ID: "b", Email: "b@x"}}}
	step := func(t envelope.Type, r int) Step {
		at = at.Add(time.Second)
		return Step{Type: t, Recipient: r, At: at}
	}
	e.Script = []Step{
		step(envelope.TypeSent, -1), step(envelope.TypeRecipientDeliveryFailed, 1),
		step(envelope.TypeDelivered, 0), step(envelope.TypeRecipientSigned, 0),
		step(envelope.TypeDelivered, 1), step(envelope.TypeDeclined, 1),
		step(envelope.TypeCompleted, -1), // a second terminal: the first stands
	}
	tests := []struct {
		n      int
		state  envelope.State
		r0, r1 envelope.RecipientState
	}{
		{0, envelope.StateCreated, envelope.RecipientSent, envelope.RecipientSent},
		{1, envelope.StateSent, envelope.RecipientSent, envelope.RecipientSent},
		{3, envelope.StateDelivered, envelope.RecipientDelivered, envelope.RecipientSent},
		{4, envelope.StatePartiallySigned, envelope.RecipientSigned, envelope.RecipientSent},
		{5, envelope.StatePartiallySigned, envelope.RecipientSigned, envelope.RecipientDelivered},
		{6, envelope.StateDeclined, envelope.RecipientSigned, envelope.RecipientDeclined},
		{7, envelope.StateDeclined, envelope.RecipientSigned, envelope.RecipientDeclined},
	}
	for _, tt := range tests {
		state, rs := e.Fold(tt.n)
		if state != tt.state || rs[0].State != tt.r0 || rs[1].State != tt.r1 {
			t.Errorf("Fold(%d) = %s %s/%s, want %s %s/%s", tt.n, state, rs[0].State, rs[1].State, tt.state, tt.r0, tt.r1)
		}
		if wantBounce := min(tt.n, 2) / 2; rs[1].DeliveryFailures != wantBounce {
			t.Errorf("Fold(%d): %d bounces, want %d", tt.n, rs[1].DeliveryFailures, wantBounce)
		}
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		ok   bool
	}{
		{"api only", Config{}, true},
		{"target", Config{Target: "http://127.0.0.1:8080", DropPct: 0.5, Redeliveries: 30}, true},
		{"bad target", Config{Target: "127.0.0.1:8080"}, false},
		{"share over one", Config{DuplicatePct: 1.5}, false},
		{"negative share", Config{API: APIConfig{Rate429Pct: -0.1}}, false},
		{"too many redeliveries", Config{Redeliveries: 31}, false},
		{"window backwards", Config{OutageWindows: []Window{{Start: time.Second}}}, false},
		{"bad whsec", Config{Secrets: Secrets{StandardWebhooks: "whsec_%%%"}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.cfg)
			if (err == nil) != tt.ok || (err != nil && !errors.Is(err, ErrConfig)) {
				t.Fatalf("New = %v, want ok %v", err, tt.ok)
			}
		})
	}
}

func TestRegisterRejectsUnknownKind(t *testing.T) {
	s, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Register([]*Envelope{{Provider: "signnow", ID: "x"}}); !errors.Is(err, ErrUnknownKind) {
		t.Fatalf("Register = %v, want ErrUnknownKind", err)
	}
}
