package bench

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestStandardWebhooksSignatureOfficialVector(t *testing.T) {
	key, err := decodeWhsec(SWSecret)
	if err != nil {
		t.Fatal(err)
	}
	got := StandardWebhooksSignature(key, "msg_p5jXN8AQM9LWM0D4loKWxJek", "1614265330", []byte(`{"test": 2432232314}`))
	if want := "g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="; got != want {
		t.Fatalf("signature = %s, want %s", got, want)
	}
}

func TestDecodeWhsec(t *testing.T) {
	tests := []struct {
		secret string
		ok     bool
	}{
		{SWSecret, true},
		{"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", true},
		{"whsec_YWJj", true},
		{"whsec_YWI", true}, // unpadded
		{"MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", false},
		{"whsec_", false},
		{"whsec_!!!", false},
	}
	for _, tt := range tests {
		_, err := decodeWhsec(tt.secret)
		if (err == nil) != tt.ok {
			t.Errorf("decodeWhsec(%q) error = %v, want ok=%v", tt.secret, err, tt.ok)
		}
		if err != nil && !errors.Is(err, ErrBadSecret) {
			t.Errorf("decodeWhsec(%q) error %v is not ErrBadSecret", tt.secret, err)
		}
	}
}

func TestDocuSignSignerMatchesVectorScheme(t *testing.T) {
	s := NewDocuSignSigner(DocuSignKey)
	now := time.Date(2026, 1, 13, 7, 9, 58, 958468700, time.UTC)
	d := s.Sign("env-1", now)
	var body struct {
		Event     string `json:"event"`
		Generated string `json:"generatedDateTime"`
		Data      struct {
			EnvelopeID string `json:"envelopeId"`
		} `json:"data"`
	}
	if err := json.Unmarshal(d.Body, &body); err != nil {
		t.Fatalf("body is not JSON: %v\n%s", err, d.Body)
	}
	if body.Event != "envelope-sent" || body.Data.EnvelopeID != "env-1" || body.Generated != "2026-01-13T07:09:58.9584687Z" {
		t.Fatalf("body = %+v", body)
	}
	mac := hmac.New(sha256.New, []byte(DocuSignKey))
	mac.Write(d.Body)
	if got, want := d.Header.Get("X-DocuSign-Signature-1"), base64.StdEncoding.EncodeToString(mac.Sum(nil)); got != want {
		t.Fatalf("signature = %s, want %s", got, want)
	}
	if s.Kind() != "docusign" {
		t.Fatalf("kind = %s", s.Kind())
	}
}

// TestVerifierAcceptsSignerAndRejectsForgeries checks the signer against
// the verify-only ceiling handler, and that handler against the spec's
// must-fail cases: the ceiling must do the real work.
func TestVerifierAcceptsSignerAndRejectsForgeries(t *testing.T) {
	sg, err := NewStandardWebhooksSigner(SWSecret)
	if err != nil {
		t.Fatal(err)
	}
	h, err := NewStandardWebhooksVerifier(SWSecret)
	if err != nil {
		t.Fatal(err)
	}
	official := func(sig string) Delivery {
		hd := http.Header{}
		hd.Set("Webhook-Id", "msg_p5jXN8AQM9LWM0D4loKWxJek")
		hd.Set("Webhook-Timestamp", "1614265330")
		hd.Set("Webhook-Signature", sig)
		return Delivery{Header: hd, Body: []byte(`{"test": 2432232314}`)}
	}
	signed := sg.Sign("env-42", time.Now())
	tampered := sg.Sign("env-42", time.Now())
	tampered.Body = bytes.Replace(tampered.Body, []byte("env-42"), []byte("env-43"), 1)
	tests := []struct {
		name string
		d    Delivery
		want int
	}{
		{"signer output", signed, http.StatusOK},
		{"official vector", official("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="), http.StatusOK},
		{"one valid among bogus", official("v2,abc v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc= v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="), http.StatusOK},
		{"wrong signature", official("v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc="), http.StatusUnauthorized},
		{"empty v1", official("v1,"), http.StatusUnauthorized},
		{"missing header", official(""), http.StatusUnauthorized},
		{"tampered body", tampered, http.StatusUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(tt.d.Body))
			req.Header = tt.d.Header
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tt.want {
				t.Fatalf("status = %d, want %d", rec.Code, tt.want)
			}
		})
	}
}

func TestStandardWebhooksSignerBody(t *testing.T) {
	sg, err := NewStandardWebhooksSigner(SWSecret)
	if err != nil {
		t.Fatal(err)
	}
	d := sg.Sign("open1000-7", time.Unix(1614265330, 0))
	var body struct {
		Type      string `json:"type"`
		Timestamp string `json:"timestamp"`
		Data      struct {
			DocumentID string `json:"document_id"`
		} `json:"data"`
	}
	if err := json.Unmarshal(d.Body, &body); err != nil {
		t.Fatalf("body is not JSON: %v", err)
	}
	if body.Type != "document.sent" || body.Data.DocumentID != "open1000-7" || body.Timestamp != "2021-02-25T15:02:10Z" {
		t.Fatalf("body = %+v", body)
	}
	if d.Header.Get("Webhook-Timestamp") != "1614265330" || d.Header.Get("Webhook-Id") != "msg_open1000-7" {
		t.Fatalf("headers = %v", d.Header)
	}
}
