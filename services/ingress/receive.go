package ingress

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/countersign/countersign/shared/bus"
	"github.com/countersign/countersign/shared/envelope"
	"github.com/countersign/countersign/shared/providers"
	"github.com/countersign/countersign/shared/subjects"
)

// receive handles one callback. The order of checks is the cheap-first
// order of CONTRACT.md's table: route (404), rate (429), size (413),
// authentication (401), persistence (503 or the provider's 2xx).
func (s *Service) receive(w http.ResponseWriter, r *http.Request) {
	start := s.cfg.Now()
	tenantID, kind := r.PathValue("tenant"), r.PathValue("provider")
	t, ok := (*s.tenants.Load())[tenantID]
	if !ok {
		s.fail(w, "_unknown", "_unknown", http.StatusNotFound, "unknown tenant")
		return
	}
	adapter, ok := t.providers[kind]
	if !ok {
		s.fail(w, tenantID, "_unknown", http.StatusNotFound, "unknown provider for this tenant")
		return
	}
	if wait, ok := t.limiter.allow(); !ok {
		w.Header().Set("Retry-After", strconv.Itoa(retryAfterSeconds(wait)))
		s.fail(w, tenantID, kind, http.StatusTooManyRequests, "tenant over its rate limit")
		return
	}
	if r.ContentLength > s.cfg.File.Ingress.MaxBodyBytes {
		// Declared too big: answer now instead of reading (or waiting out
		// the read timeout for bytes that may never come).
		w.Header().Set("Connection", "close")
		s.fail(w, tenantID, kind, http.StatusRequestEntityTooLarge, "body over the limit")
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.cfg.File.Ingress.MaxBodyBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			s.fail(w, tenantID, kind, http.StatusRequestEntityTooLarge, "body over the limit")
			return
		}
		s.fail(w, tenantID, kind, http.StatusBadRequest, "could not read body")
		return
	}
	req := &providers.Request{
		Method:     r.Method,
		Header:     r.Header,
		Query:      r.URL.Query(),
		Body:       body,
		ReceivedAt: start.UTC(),
	}
	if err := adapter.Authenticate(req, start); err != nil {
		// The reason stays in the metrics label set and debug logs: telling
		// a forger which check failed helps nobody but the forger.
		s.cfg.Logger.Debug("callback rejected", "tenant", tenantID, "provider", kind, "reason", err.Error())
		s.fail(w, tenantID, kind, http.StatusUnauthorized, "authentication failed")
		return
	}
	if in, ok := adapter.(providers.Intent); ok && in.IsIntentCheck(req) {
		s.answer(w, tenantID, kind, adapter.Respond(req))
		return
	}
	err = s.persist(r.Context(), tenantID, kind, r.RemoteAddr, adapter, req)
	s.store.observe(err)
	if err != nil {
		s.cfg.Logger.Warn("could not persist callback", "tenant", tenantID, "provider", kind, "error", err.Error())
		w.Header().Set("Retry-After", "5")
		s.fail(w, tenantID, kind, http.StatusServiceUnavailable, "could not persist; retry later")
		return
	}
	s.metrics.persist.Observe(s.cfg.Now().Sub(start).Seconds())
	s.answer(w, tenantID, kind, adapter.Respond(req))
}

// persist publishes the raw callback and waits for the JetStream ack. The
// Nats-Msg-Id makes a provider's retry inside the stream's duplicate
// window cost nothing; a reused id with a different body is stored anyway
// (see storeReused).
func (s *Service) persist(ctx context.Context, tenantID, kind, remote string, a providers.Adapter, req *providers.Request) error {
	stored := *req
	stored.Query = a.Redact(req.Query)
	token := subjects.Unknown
	envelopeID := envelopeOf(tenantID, a, req)
	if envelopeID != "" {
		token = envelope.Token(envelopeID)
	}
	msg := bus.EncodeRaw(bus.RawSubject(tenantID, kind, token), tenantID, kind, remote, &stored)
	if envelopeID != "" {
		msg.Header.Set(bus.HeaderEnvelope, envelopeID)
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.File.Ingress.PersistTimeout.D())
	defer cancel()
	id := deliveryID(tenantID, kind, a, req)
	seq, dup, err := s.raw.Store(ctx, msg, id)
	if err != nil {
		return err
	}
	if dup {
		return s.storeReused(ctx, tenantID, kind, msg, id, seq)
	}
	return nil
}

// envelopeOf returns the envelope a callback is about, or "" when it
// cannot be parsed (the verifier will dead-letter it) or names none. It
// picks the callback's partition in RAW, so that the verifier handles an
// envelope's callbacks in the order they were acknowledged here.
func envelopeOf(tenantID string, a providers.Adapter, req *providers.Request) string {
	events, err := a.Parse(tenantID, req)
	if err != nil || len(events) == 0 {
		return ""
	}
	return events[0].EnvelopeID
}

// deliveryID is the provider's delivery id where it has one, else a hash
// of the body, scoped to tenant and provider. An id too long or odd to
// travel as a header (envelope.CheckField) is replaced by its hash.
func deliveryID(tenantID, kind string, a providers.Adapter, req *providers.Request) string {
	id := a.DeliveryID(req)
	switch {
	case id == "":
		sum := sha256.Sum256(req.Body)
		id = "sha256:" + hex.EncodeToString(sum[:16])
	case envelope.CheckField("delivery_id", id, envelope.MaxIDBytes, true) != nil:
		sum := sha256.Sum256([]byte(id))
		id = "id-sha256:" + hex.EncodeToString(sum[:16])
	}
	return tenantID + "/" + kind + "/" + id
}

func (s *Service) answer(w http.ResponseWriter, tenantID, kind string, resp providers.Response) {
	for k, vs := range resp.Header {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	status := resp.Status
	if status == 0 {
		status = http.StatusOK
	}
	w.WriteHeader(status)
	_, _ = w.Write(resp.Body)
	s.metrics.requests.WithLabelValues(tenantID, kind, strconv.Itoa(status)).Inc()
}

func (s *Service) fail(w http.ResponseWriter, tenantID, kind string, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, `{"error":"`+msg+`"}`)
	s.metrics.requests.WithLabelValues(tenantID, kind, strconv.Itoa(status)).Inc()
}

func retryAfterSeconds(d time.Duration) int {
	s := int((d + time.Second - 1) / time.Second)
	if s < 1 {
		s = 1
	}
	return s
}
