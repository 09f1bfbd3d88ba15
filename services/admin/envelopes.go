package admin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/countersign/countersign/shared/bus"
	"github.com/countersign/countersign/shared/envelope"
	"github.com/countersign/countersign/shared/httpjson"
)

// maxLedgerEntries bounds one ledger answer; a real envelope has a few
// dozen entries, so hitting it means something is wrong upstream.
const maxLedgerEntries = 10000

// envelopeView is the answer of GET /v1/tenants/{t}/envelopes/{id}
// (CONTRACT.md: exactly these fields).
type envelopeView struct {
	Tenant     string          `json:"tenant"`
	EnvelopeID string          `json:"envelope_id"`
	Provider   string          `json:"provider"`
	State      envelope.State  `json:"state"`
	Recipients []recipientView `json:"recipients"`
	UpdatedAt  time.Time       `json:"updated_at"`
	LedgerSeq  uint64          `json:"ledger_seq"`
	LedgerHash string          `json:"ledger_hash"`
}

type recipientView struct {
	ID    string                  `json:"id"`
	Email string                  `json:"email"`
	State envelope.RecipientState `json:"state"`
}

// ledgerView is the answer of GET /v1/tenants/{t}/envelopes/{id}/ledger:
// the entries exactly as published, and whether they form an intact chain.
type ledgerView struct {
	Entries  []json.RawMessage `json:"entries"`
	Verified bool              `json:"verified"`
}

func newEnvelopeView(rec envelope.Record) envelopeView {
	v := envelopeView{
		Tenant:     rec.Tenant,
		EnvelopeID: rec.EnvelopeID,
		Provider:   rec.Provider,
		State:      rec.State,
		Recipients: make([]recipientView, 0, len(rec.Recipients)),
		UpdatedAt:  rec.UpdatedAt,
		LedgerSeq:  rec.Seq,
		LedgerHash: rec.LastHash,
	}
	for _, r := range rec.Recipients {
		v.Recipients = append(v.Recipients, recipientView{ID: r.ID, Email: r.Email, State: r.State})
	}
	return v
}

// pathEnvelope returns the tenant and envelope id of the request path
// (r.PathValue unescapes them, so ids with "/" or spaces arrive whole), or
// false after answering 404 for a tenant that cannot exist: such a tenant
// could smuggle subject wildcards into the ledger read.
func pathEnvelope(w http.ResponseWriter, r *http.Request) (tenant, id string, ok bool) {
	tenant, id = r.PathValue("tenant"), r.PathValue("id")
	// An id no event could carry (envelope.CheckField) was never stored:
	// answering 404 here keeps a 5,000-character id out of KV keys and
	// subjects, which would otherwise exceed the NATS control line.
	if !envelope.ValidTenant(tenant) || envelope.CheckField("id", id, envelope.MaxIDBytes, true) != nil {
		httpjson.Error(w, http.StatusNotFound, "unknown envelope")
		return "", "", false
	}
	return tenant, id, true
}

func (s *Service) getEnvelope(w http.ResponseWriter, r *http.Request) {
	tenant, id, ok := pathEnvelope(w, r)
	if !ok {
		return
	}
	rec, found, err := s.record(r.Context(), tenant, id)
	switch {
	case err != nil:
		s.fail(w, r, err)
	case !found:
		httpjson.Error(w, http.StatusNotFound, "unknown envelope")
	default:
		httpjson.Write(w, http.StatusOK, newEnvelopeView(rec))
	}
}

func (s *Service) getLedger(w http.ResponseWriter, r *http.Request) {
	tenant, id, ok := pathEnvelope(w, r)
	if !ok {
		return
	}
	entries, err := s.ledger(r.Context(), tenant, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if len(entries.raw) == 0 {
		_, found, err := s.record(r.Context(), tenant, id)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if !found {
			httpjson.Error(w, http.StatusNotFound, "unknown envelope")
			return
		}
	}
	if entries.views == nil {
		entries.views = []json.RawMessage{}
	}
	httpjson.Write(w, http.StatusOK, ledgerView{Entries: entries.views, Verified: envelope.VerifyChain(entries.raw) == nil})
}

// fail answers 503 for a storage error: the client may retry, and the
// details go to the log rather than to the caller.
func (s *Service) fail(w http.ResponseWriter, r *http.Request, err error) {
	s.log.ErrorContext(r.Context(), "admin: request failed", "path", r.URL.Path, "err", err)
	httpjson.Error(w, http.StatusServiceUnavailable, "storage unavailable")
}

// record reads an envelope's record from the KV bucket; found is false
// when the bucket has no such key (or no bucket exists yet).
func (s *Service) record(ctx context.Context, tenant, id string) (rec envelope.Record, found bool, err error) {
	records, err := bus.OpenRecords(ctx, s.js)
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		return rec, false, nil
	}
	if err != nil {
		return rec, false, fmt.Errorf("admin: %w", err)
	}
	rec, rev, err := records.Get(ctx, tenant, id)
	if err != nil {
		return rec, false, fmt.Errorf("admin: %w", err)
	}
	return rec, rev != 0, nil
}

// ledgerEntries are one envelope's messages: raw bytes to verify, and
// the same as JSON values to answer with.
type ledgerEntries struct {
	raw   [][]byte
	views []json.RawMessage
}

// ledger reads every entry of one envelope from ENVELOPES in stream order.
// It walks the stream with "next message for subject" gets, so no consumer
// (durable or ephemeral) is created or left behind per request.
func (s *Service) ledger(ctx context.Context, tenant, id string) (ledgerEntries, error) {
	stream, err := s.js.Stream(ctx, bus.StreamEnvelopes)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		return ledgerEntries{}, nil
	}
	if err != nil {
		return ledgerEntries{}, fmt.Errorf("admin: stream %s: %w", bus.StreamEnvelopes, err)
	}
	filter := envelope.SubjectFilter(tenant, id)
	var entries ledgerEntries
	for seq := uint64(1); len(entries.raw) < maxLedgerEntries; {
		msg, err := stream.GetMsg(ctx, seq, jetstream.WithGetMsgSubject(filter))
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			return entries, nil
		}
		if err != nil {
			return ledgerEntries{}, fmt.Errorf("admin: ledger %s/%s at seq %d: %w", tenant, id, seq, err)
		}
		entries.raw = append(entries.raw, msg.Data)
		entries.views = append(entries.views, embeddable(msg.Data))
		seq = msg.Sequence + 1
	}
	return ledgerEntries{}, fmt.Errorf("admin: ledger %s/%s: more than %d entries", tenant, id, maxLedgerEntries)
}

// embeddable returns data as a JSON value to embed in the answer: as it is
// when it is JSON, else as a JSON string, so a corrupted entry is still
// shown to the auditor (and fails verification) instead of breaking the
// answer.
func embeddable(data []byte) json.RawMessage {
	if json.Valid(data) {
		return json.RawMessage(data)
	}
	quoted, _ := json.Marshal(string(data)) // marshalling a string cannot fail
	return quoted
}
