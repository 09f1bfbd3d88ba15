package bench

import (
	"context"
	"crypto/hmac"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// BareHandler answers 200 to everything after reading the body: the
// ceiling of what net/http and the load generator manage on this machine.
func BareHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusOK)
	})
}

// NewStandardWebhooksVerifier returns a handler that only verifies the
// Standard Webhooks v1 signature (any matching v1 entry, constant-time)
// and answers 200, or 401: the ceiling of an ingress that authenticates
// but persists nothing. It returns ErrBadSecret for a malformed secret.
func NewStandardWebhooksVerifier(secret string) (http.Handler, error) {
	key, err := decodeWhsec(secret)
	if err != nil {
		return nil, err
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, 10<<20))
		if err != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		want := StandardWebhooksSignature(key, r.Header.Get("Webhook-Id"), r.Header.Get("Webhook-Timestamp"), body)
		for _, sig := range strings.Fields(r.Header.Get("Webhook-Signature")) {
			v, got, ok := strings.Cut(sig, ",")
			if ok && v == "v1" && hmac.Equal([]byte(got), []byte(want)) {
				w.WriteHeader(http.StatusOK)
				return
			}
		}
		w.WriteHeader(http.StatusUnauthorized)
	}), nil
}

// ServeCeiling serves the ceiling handler name ("bare" or "verify") on
// addr until ctx ends, with GET /readyz answering 200 for StartCeiling.
func ServeCeiling(ctx context.Context, name, addr, secret string) error {
	h, ok, err := CeilingHandler(name, secret)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("bench: unknown ceiling %q (want bare or verify)", name)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) })
	mux.Handle("/", h)
	srv := &http.Server{Addr: addr, Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		_ = srv.Close()
	}()
	if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("bench: serve ceiling: %w", err)
	}
	return nil
}

// CeilingHandler returns the ceiling handler named "bare" or "verify"
// (the latter with secret), and false for another name.
func CeilingHandler(name, secret string) (http.Handler, bool, error) {
	switch name {
	case "bare":
		return BareHandler(), true, nil
	case "verify":
		h, err := NewStandardWebhooksVerifier(secret)
		return h, true, err
	}
	return nil, false, nil
}
