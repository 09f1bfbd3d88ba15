package demo

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"
)

// Admin is a client of countersign's admin API (the part the demo and the
// end-to-end tests read: envelopes and their ledgers).
type Admin struct {
	// BaseURL is the admin listener, http://host:port.
	BaseURL string
	// Token is one of the config's admin.tokens.
	Token string
	// Client defaults to a client with a 10 s timeout.
	Client *http.Client
}

// Recipient is one recipient of an envelope as the admin API shows it.
type Recipient struct {
	ID    string `json:"id"`
	Email string `json:"email"`
	State string `json:"state"`
}

// EnvelopeView is the admin API's envelope answer.
type EnvelopeView struct {
	Tenant     string      `json:"tenant"`
	EnvelopeID string      `json:"envelope_id"`
	Provider   string      `json:"provider"`
	State      string      `json:"state"`
	Recipients []Recipient `json:"recipients"`
	UpdatedAt  string      `json:"updated_at"`
	LedgerSeq  uint64      `json:"ledger_seq"`
	LedgerHash string      `json:"ledger_hash"`
}

// Entry is the part of a ledger entry the checks read.
type Entry struct {
	ID       string `json:"id"`
	Type     string `json:"type"`
	State    string `json:"state"`
	Source   string `json:"source"`
	Seq      uint64 `json:"seq"`
	PrevHash string `json:"prev_hash"`
	Hash     string `json:"hash"`
	// Recipient is the recipient a recipient or audit entry names.
	Recipient *Recipient `json:"recipient,omitempty"`
	// Detail is an audit entry's detail (reminder_sent: via, reminder).
	// Values need not be strings (other entries' details carry numbers).
	Detail map[string]any `json:"detail,omitempty"`
}

// DetailString returns detail field k as text ("" when absent).
func (e Entry) DetailString(k string) string {
	v, ok := e.Detail[k]
	if !ok {
		return ""
	}
	if s, ok := v.(string); ok {
		return s
	}
	return fmt.Sprint(v)
}

// Ledger is the admin API's ledger answer: the entries in seq order and
// whether countersign re-verified the hash chain.
type Ledger struct {
	Entries  []Entry `json:"entries"`
	Verified bool    `json:"verified"`
}

// HasSource reports whether any entry came from source ("provider_api",
// "webhook", …).
func (l Ledger) HasSource(source string) bool {
	for _, e := range l.Entries {
		if e.Source == source {
			return true
		}
	}
	return false
}

// Envelope returns tenant's envelope id. An unknown envelope returns an
// error wrapping ErrNotFound; any other failure wraps ErrAdmin.
func (a *Admin) Envelope(ctx context.Context, tenant, id string) (EnvelopeView, error) {
	var v EnvelopeView
	return v, a.get(ctx, envelopePath(tenant, id), &v)
}

// Ledger returns the ledger of tenant's envelope id; errors as Envelope.
func (a *Admin) Ledger(ctx context.Context, tenant, id string) (Ledger, error) {
	var l Ledger
	return l, a.get(ctx, envelopePath(tenant, id)+"/ledger", &l)
}

// envelopePath escapes the id: Standard Webhooks ids may carry '/' and ':'.
func envelopePath(tenant, id string) string {
	return "/v1/tenants/" + url.PathEscape(tenant) + "/envelopes/" + url.PathEscape(id)
}

// Reconcile asks countersign to run a reconciliation window for one
// provider now (POST /v1/reconcile) and returns its answer.
func (a *Admin) Reconcile(ctx context.Context, tenant, provider string, since time.Time) (ReconcileResult, error) {
	body, _ := json.Marshal(map[string]string{"tenant": tenant, "provider": provider, "since": since.UTC().Format(time.RFC3339)})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.BaseURL+"/v1/reconcile", bytes.NewReader(body))
	if err != nil {
		return ReconcileResult{}, fmt.Errorf("%w: reconcile: %w", ErrAdmin, err)
	}
	req.Header.Set("Authorization", "Bearer "+a.Token)
	req.Header.Set("Content-Type", "application/json")
	c := &http.Client{Timeout: 90 * time.Second}
	resp, err := c.Do(req)
	if err != nil {
		return ReconcileResult{}, fmt.Errorf("%w: reconcile %s: %w", ErrAdmin, provider, err)
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return ReconcileResult{}, fmt.Errorf("%w: reconcile %s: %s: %s", ErrAdmin, provider, resp.Status, b)
	}
	var out ReconcileResult
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return out, fmt.Errorf("%w: reconcile %s: decode: %w", ErrAdmin, provider, err)
	}
	return out, nil
}

// ReconcileResult is the answer of POST /v1/reconcile.
type ReconcileResult struct {
	Tenant    string `json:"tenant"`
	Provider  string `json:"provider"`
	Checked   int    `json:"checked"`
	Drift     int    `json:"drift"`
	Published int    `json:"published"`
}

func (a *Admin) get(ctx context.Context, path string, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, a.BaseURL+path, nil)
	if err != nil {
		return fmt.Errorf("%w: GET %s: %w", ErrAdmin, path, err)
	}
	req.Header.Set("Authorization", "Bearer "+a.Token)
	c := a.Client
	if c == nil {
		c = &http.Client{Timeout: 10 * time.Second}
	}
	resp, err := c.Do(req)
	if err != nil {
		return fmt.Errorf("%w: GET %s: %w", ErrAdmin, path, err)
	}
	defer func() { _ = resp.Body.Close() }()
	switch resp.StatusCode {
	case http.StatusOK:
	case http.StatusNotFound:
		_, _ = io.Copy(io.Discard, resp.Body)
		return fmt.Errorf("%w: %s", ErrNotFound, path)
	default:
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return fmt.Errorf("%w: GET %s: %s: %s", ErrAdmin, path, resp.Status, b)
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("%w: GET %s: decode: %w", ErrAdmin, path, err)
	}
	return nil
}
