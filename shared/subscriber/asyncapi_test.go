package subscriber_test

import (
	"encoding/json"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/countersign/countersign/shared/envelope"
	"github.com/countersign/countersign/shared/providers"
)

// asyncAPI is the part of shared/envelope/asyncapi.yaml checked against
// the code, so the document cannot drift from what is published.
type asyncAPI struct {
	AsyncAPI string `yaml:"asyncapi"`
	Channels map[string]struct {
		Address string `yaml:"address"`
	} `yaml:"channels"`
	Components struct {
		Parameters map[string]struct {
			Description string   `yaml:"description"`
			Enum        []string `yaml:"enum"`
			Examples    []string `yaml:"examples"`
		} `yaml:"parameters"`
		Messages map[string]struct {
			Examples []struct {
				Payload map[string]any `yaml:"payload"`
			} `yaml:"examples"`
		} `yaml:"messages"`
		Schemas map[string]schema `yaml:"schemas"`
	} `yaml:"components"`
}

type schema struct {
	Enum        []string          `yaml:"enum"`
	Pattern     string            `yaml:"pattern"`
	Description string            `yaml:"description"`
	Required    []string          `yaml:"required"`
	Properties  map[string]schema `yaml:"properties"`
}

func loadAsyncAPI(t *testing.T) asyncAPI {
	t.Helper()
	data, err := os.ReadFile("../envelope/asyncapi.yaml")
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	var doc asyncAPI
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatalf("parse: %v", err)
	}
	return doc
}

// jsonFields returns the JSON names of a struct's fields, and those
// without omitempty (always present).
func jsonFields(v any) (all, required []string) {
	rt := reflect.TypeOf(v)
	for i := range rt.NumField() {
		name, opts, _ := strings.Cut(rt.Field(i).Tag.Get("json"), ",")
		all = append(all, name)
		if !strings.Contains(opts, "omitempty") {
			required = append(required, name)
		}
	}
	return all, required
}

func keys[V any](m map[string]V) []string {
	var k []string
	for name := range m {
		k = append(k, name)
	}
	return k
}

func sameSet(t *testing.T, what string, got, want []string) {
	t.Helper()
	g, w := slices.Clone(got), slices.Clone(want)
	slices.Sort(g)
	slices.Sort(w)
	if !slices.Equal(g, w) {
		t.Errorf("%s: document has %v, code has %v", what, g, w)
	}
}

func TestAsyncAPIMatchesCode(t *testing.T) {
	doc := loadAsyncAPI(t)
	if !strings.HasPrefix(doc.AsyncAPI, "3.") {
		t.Errorf("asyncapi version %q, want 3.x", doc.AsyncAPI)
	}
	ch, ok := doc.Channels["envelopeEntries"]
	if want := envelope.SubjectPrefix + ".{tenant}.{envelope}.{type}"; !ok || ch.Address != want {
		t.Errorf("channel address %q, want %q", ch.Address, want)
	}

	var types []string
	for _, typ := range append(append(slices.Clone(envelope.EventTypes), envelope.TypeStale, envelope.TypeConflict), envelope.AuditTypes...) {
		types = append(types, string(typ))
	}
	states := []string{}
	for _, s := range []envelope.State{envelope.StateCreated, envelope.StateSent, envelope.StateDelivered,
		envelope.StatePartiallySigned, envelope.StateCompleted, envelope.StateDeclined, envelope.StateVoided, envelope.StateExpired} {
		states = append(states, string(s))
	}
	recipientStates := []string{string(envelope.RecipientSent), string(envelope.RecipientDelivered),
		string(envelope.RecipientSigned), string(envelope.RecipientDeclined)}
	sources := []string{string(envelope.SourceWebhook), string(envelope.SourcePoll),
		string(envelope.SourceReplay), string(envelope.SourceProviderAPI),
		string(envelope.SourceNotifier), string(envelope.SourceExport)}

	schemas := doc.Components.Schemas
	sameSet(t, "type parameter enum", doc.Components.Parameters["type"].Enum, types)
	sameSet(t, "EntryType enum", schemas["EntryType"].Enum, types)
	sameSet(t, "EnvelopeState enum", schemas["EnvelopeState"].Enum, states)
	sameSet(t, "RecipientState enum", schemas["RecipientState"].Enum, recipientStates)
	sameSet(t, "Source enum", schemas["Source"].Enum, sources)
	provider := schemas["LedgerEntry"].Properties["provider"]
	for _, k := range providers.Kinds {
		if k != providers.KindHMAC && !strings.Contains(provider.Description, k) {
			t.Errorf("provider description does not name the kind %q", k)
		}
		if !regexp.MustCompile(provider.Pattern).MatchString(k) {
			t.Errorf("provider pattern %q refuses the kind %q", provider.Pattern, k)
		}
	}
	for _, s := range schemas["EnvelopeState"].Enum {
		if !envelope.State(s).Valid() {
			t.Errorf("state %q in the document is not a valid state", s)
		}
	}
	for _, s := range schemas["RecipientState"].Enum {
		if !envelope.RecipientState(s).Valid() {
			t.Errorf("recipient state %q in the document is not a valid state", s)
		}
	}

	all, required := jsonFields(envelope.Entry{})
	sameSet(t, "LedgerEntry properties", keys(schemas["LedgerEntry"].Properties), all)
	sameSet(t, "LedgerEntry required", schemas["LedgerEntry"].Required, required)
	all, required = jsonFields(envelope.EntryRecipient{})
	sameSet(t, "Recipient properties", keys(schemas["Recipient"].Properties), all)
	sameSet(t, "Recipient required", schemas["Recipient"].Required, required)
}

func TestAsyncAPITokenExamples(t *testing.T) {
	p := loadAsyncAPI(t).Components.Parameters["envelope"]
	if len(p.Examples) == 0 {
		t.Fatal("no envelope token examples")
	}
	for _, tok := range p.Examples {
		id, err := envelope.ParseToken(tok)
		if err != nil {
			t.Errorf("example token %q: %v", tok, err)
			continue
		}
		if got := envelope.Token(id); got != tok {
			t.Errorf("example token %q decodes to %q, which encodes to %q", tok, id, got)
		}
	}
	// The worked example in the description must be what Token produces.
	if tok := envelope.Token("env/1 a"); !strings.Contains(p.Description, "`env/1 a` becomes `"+tok+"`") {
		t.Errorf("description's worked example does not say `env/1 a` becomes `%s`", tok)
	}
}

func TestAsyncAPIExampleHashes(t *testing.T) {
	msgs := loadAsyncAPI(t).Components.Messages
	examples := msgs["ledgerEntry"].Examples
	if len(examples) == 0 {
		t.Fatal("no ledger entry examples")
	}
	for _, ex := range examples {
		raw, err := json.Marshal(ex.Payload)
		if err != nil {
			t.Fatalf("marshal example: %v", err)
		}
		var e envelope.Entry
		dec := json.NewDecoder(strings.NewReader(string(raw)))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&e); err != nil {
			t.Fatalf("example is not a ledger entry: %v", err)
		}
		want, err := e.ComputeHash()
		if err != nil {
			t.Fatalf("hash: %v", err)
		}
		if e.Hash != want {
			t.Errorf("example hash %s, its content hashes to %s", e.Hash, want)
		}
		if !envelope.State(e.State).Valid() || !e.Type.Valid() {
			t.Errorf("example has state %q, type %q", e.State, e.Type)
		}
	}
}
