// Package pipeline fuzzes the whole path a callback takes — ingress
// (authenticate, encode for RAW), verifier (decode, parse, check), STATE
// (the event's JSON), statesync (decode, apply), the ledger (subject, KV
// key, hash chain) — with long and odd ids, by chaining each stage's pure
// functions exactly as the services do, with no sockets in between.
package pipeline

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/countersign/countersign/services/statesync"
	"github.com/countersign/countersign/services/verifier"
	"github.com/countersign/countersign/shared/bus"
	"github.com/countersign/countersign/shared/config"
	"github.com/countersign/countersign/shared/envelope"
	"github.com/countersign/countersign/shared/providers"
	"github.com/countersign/countersign/shared/providers/registry"
)

const swSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

// kvKey is what the NATS KV client accepts as a key.
var kvKey = regexp.MustCompile(`^[-/_=\.a-zA-Z0-9]+$`)

var swTypes = []string{"document.sent", "document.viewed", "recipient.signed", "document.completed", "document.declined", "recipient.delivery_failed", "odd.type"}

func adapter(t testing.TB) providers.Adapter {
	t.Helper()
	a, err := registry.New(config.Provider{Kind: providers.KindStandardWebhooks, Secrets: []config.Secret{config.NewSecret(swSecret)}})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// FuzzPipeline sends one signed Standard Webhooks delivery whose envelope
// id, recipient id and delivery id are the fuzzer's bytes — raw (possibly
// breaking the JSON) or JSON-escaped — through every stage. It fails on a
// panic, on an event that passes the edge but would break a subject, a
// KV key or the chain, and on an id that does not come out byte-exact.
func FuzzPipeline(f *testing.F) {
	f.Add("env-1", "r1", "msg_1", uint8(0), true)
	f.Add(strings.Repeat("x", 3200), "", "msg_long", uint8(0), true)
	f.Add("env-2", strings.Repeat("é", 200), "msg_2", uint8(2), true)
	f.Add("env-\xff", "", "msg_3", uint8(0), false)
	f.Add("a.b*c>d e", "r\r\n1", strings.Repeat("d", 500), uint8(2), true)
	f.Add("=ZW52", "x", "m", uint8(4), true)
	f.Add("", "", "", uint8(6), true)
	a := adapter(f)
	f.Fuzz(func(t *testing.T, envelopeID, recipientID, deliveryID string, typ uint8, escape bool) {
		now := time.Date(2026, 11, 22, 7, 3, 0, 0, time.UTC)
		body := swBody(swTypes[int(typ)%len(swTypes)], envelopeID, recipientID, now, escape)
		req := signed(deliveryID, now, body)

		// ingress: authenticate, encode for RAW.
		if err := a.Authenticate(req, now); err != nil {
			if deliveryID == "" || strings.ContainsAny(deliveryID, "\r\n\x00") || !validHeader(deliveryID) {
				return // not a delivery an HTTP client could send
			}
			t.Fatalf("signed delivery refused: %v", err)
		}
		token := "_"
		if evs, err := a.Parse("acme", req); err == nil && len(evs) > 0 {
			token = envelope.Token(evs[0].EnvelopeID) // as ingress routes it
		}
		raw := bus.EncodeRaw(bus.RawSubject("acme", a.Kind(), token), "acme", a.Kind(), "127.0.0.1:1", req)
		if err := bus.CheckSubject(raw.Subject); err != nil {
			t.Fatalf("RAW subject: %v", err)
		}

		// verifier: decode what RAW holds, parse, check.
		_, _, _, got, err := bus.DecodeRaw(&bus.Message{Subject: raw.Subject, Header: raw.Header, Data: raw.Data})
		if err != nil {
			t.Fatalf("DecodeRaw: %v", err)
		}
		events, err := verifier.Events(a, "acme", got)
		if err != nil {
			if !bus.IsPermanent(err) {
				t.Fatalf("verifier error not permanent: %v", err)
			}
			if strings.Contains(err.Error(), envelopeID) && len(envelopeID) > 8 {
				t.Fatalf("verifier error quotes the envelope id: %v", err)
			}
			return
		}
		var chain [][]byte
		rec := envelope.Record{}
		for _, ev := range events {
			// The edge let it through: it must carry exactly.
			if escape && ev.EnvelopeID != envelopeID {
				t.Fatalf("envelope id changed on the way: %q → %q", envelopeID, ev.EnvelopeID)
			}
			stateSubject := bus.StateSubject(ev.Tenant, envelope.Token(ev.EnvelopeID))
			if err := bus.CheckSubject(stateSubject); err != nil {
				t.Fatalf("STATE subject: %v", err)
			}
			msg := nats.NewMsg(stateSubject)
			msg.Header.Set(bus.HeaderEnvelope, ev.EnvelopeID)
			if strings.ContainsAny(msg.Header.Get(bus.HeaderEnvelope), "\r\n") {
				t.Fatal("envelope id would split a header")
			}
			data, err := json.Marshal(ev)
			if err != nil {
				t.Fatalf("encode event: %v", err)
			}

			// statesync: decode, apply.
			back, err := statesync.DecodeEvent(data)
			if err != nil {
				t.Fatalf("an event the verifier published is refused by statesync: %v", err)
			}
			if back.EnvelopeID != ev.EnvelopeID || back.ID != ev.ID {
				t.Fatalf("event not byte-exact through STATE: %q → %q", ev.EnvelopeID, back.EnvelopeID)
			}
			key := envelope.RecordKey(back.Tenant, back.EnvelopeID)
			if !kvKey.MatchString(key) || len(key) > bus.MaxSubjectBytes/2 {
				t.Fatalf("record key %d bytes, valid %v", len(key), kvKey.MatchString(key))
			}
			next, entry, err := envelope.Apply(rec, back, now)
			if err != nil {
				t.Fatalf("Apply refused a checked event: %v", err)
			}
			rec = next
			if entry == nil {
				continue
			}

			// ledger: subject, round trip, chain.
			if err := bus.CheckSubject(entry.Subject()); err != nil {
				t.Fatalf("ledger subject: %v", err)
			}
			tenant, id, _, err := envelope.ParseSubject(entry.Subject())
			if err != nil || tenant != back.Tenant || id != back.EnvelopeID {
				t.Fatalf("ledger subject does not round-trip: %v", err)
			}
			b, err := json.Marshal(entry)
			if err != nil {
				t.Fatal(err)
			}
			chain = append(chain, b)
		}
		if err := envelope.VerifyChain(chain); err != nil {
			t.Fatalf("chain: %v", err)
		}
	})
}

// swBody is a Standard Webhooks payload; with escape the ids are JSON
// strings, without it their bytes go in raw (possibly breaking the JSON).
func swBody(typ, envelopeID, recipientID string, at time.Time, escape bool) []byte {
	q := func(s string) string {
		if escape {
			b, _ := json.Marshal(s)
			return string(b)
		}
		return `"` + s + `"`
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, `{"type":%q,"timestamp":%q,"data":{"document_id":%s`, typ, at.Format(time.RFC3339), q(envelopeID))
	if recipientID != "" {
		fmt.Fprintf(&b, `,"recipient_id":%s`, q(recipientID))
	}
	b.WriteString(`}}`)
	return b.Bytes()
}

func signed(id string, ts time.Time, body []byte) *providers.Request {
	key, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(swSecret, "whsec_"))
	tsText := strconv.FormatInt(ts.Unix(), 10)
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(id + "." + tsText + "."))
	mac.Write(body)
	h := http.Header{}
	h.Set("webhook-id", id)
	h.Set("webhook-timestamp", tsText)
	h.Set("webhook-signature", "v1,"+base64.StdEncoding.EncodeToString(mac.Sum(nil)))
	return &providers.Request{Method: http.MethodPost, Header: h, Body: body, ReceivedAt: ts}
}

// validHeader reports whether an HTTP server would accept v as a header
// value (what reaches ingress at all).
func validHeader(v string) bool {
	for i := 0; i < len(v); i++ {
		if c := v[i]; c < 0x20 && c != '\t' || c == 0x7f {
			return false
		}
	}
	return true
}

// TestPipelineLongIDsRefusedCleanly pins the case of issue #17: a 3,200
// character envelope id is refused at the verifier with the field named.
func TestPipelineLongIDsRefusedCleanly(t *testing.T) {
	a := adapter(t)
	now := time.Now()
	req := signed("msg_1", now, swBody("document.sent", strings.Repeat("x", 3200), "", now, true))
	_, err := verifier.Events(a, "acme", req)
	var fe *envelope.FieldError
	if !errors.As(err, &fe) || fe.Field != "envelope_id" || !bus.IsPermanent(err) {
		t.Fatalf("Events = %v, want a permanent envelope_id FieldError", err)
	}
}
