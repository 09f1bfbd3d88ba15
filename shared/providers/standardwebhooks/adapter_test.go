package standardwebhooks_test

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/countersign/countersign/shared/config"
	"github.com/countersign/countersign/shared/providers"
	"github.com/countersign/countersign/shared/providers/providertest"
	"github.com/countersign/countersign/shared/providers/standardwebhooks"
)

const officialSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

func newAdapter(t testing.TB, secrets ...string) *standardwebhooks.Adapter {
	t.Helper()
	if len(secrets) == 0 {
		secrets = []string{officialSecret}
	}
	cfg := config.Provider{Kind: providers.KindStandardWebhooks}
	for _, s := range secrets {
		cfg.Secrets = append(cfg.Secrets, config.NewSecret(s))
	}
	a, err := standardwebhooks.New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return a
}

func TestConformance(t *testing.T) {
	providertest.Run(t, newAdapter(t), providertest.Load(t, "testdata/*.json")...)
}

func TestNew(t *testing.T) {
	tests := []struct {
		name    string
		cfg     config.Provider
		wantErr error
		wantMsg string
	}{
		{"no secrets", config.Provider{}, standardwebhooks.ErrNoSecret, ""},
		{"no prefix", config.Provider{Secrets: []config.Secret{config.NewSecret("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")}}, standardwebhooks.ErrBadSecret, "secrets[0]: standardwebhooks: bad secret: missing \"whsec_\" prefix"},
		{"not base64", config.Provider{Secrets: []config.Secret{config.NewSecret(officialSecret), config.NewSecret("whsec_not*base64!")}}, standardwebhooks.ErrBadSecret, "secrets[1]: standardwebhooks: bad secret: not standard base64"},
		{"empty key", config.Provider{Secrets: []config.Secret{config.NewSecret("whsec_")}}, standardwebhooks.ErrBadSecret, "empty key"},
		{"negative tolerance", config.Provider{Secrets: []config.Secret{config.NewSecret(officialSecret)}, Tolerance: config.Duration(-time.Second)}, standardwebhooks.ErrBadTolerance, ""},
		{"padded", config.Provider{Secrets: []config.Secret{config.NewSecret("whsec_YWJjZA==")}}, nil, ""},
		{"unpadded", config.Provider{Secrets: []config.Secret{config.NewSecret("whsec_YWJjZA")}}, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := standardwebhooks.New(tt.cfg)
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
				t.Fatalf("New = %v, want %v", err, tt.wantErr)
			}
			if err != nil && !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("New = %q, want it to contain %q", err, tt.wantMsg)
			}
			for _, s := range tt.cfg.Secrets {
				if len(s.Value()) > len("whsec_")+4 && err != nil && strings.Contains(err.Error(), s.Value()) {
					t.Errorf("error %q reveals the secret", err)
				}
			}
		})
	}
}

func TestSignOfficialVector(t *testing.T) {
	got, err := standardwebhooks.Sign(officialSecret, "msg_p5jXN8AQM9LWM0D4loKWxJek", time.Unix(1614265330, 0), []byte(`{"test": 2432232314}`))
	if err != nil {
		t.Fatal(err)
	}
	if want := "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="; got != want {
		t.Errorf("Sign = %q, want %q", got, want)
	}
	if _, err := standardwebhooks.Sign("nope", "id", time.Now(), nil); !errors.Is(err, standardwebhooks.ErrBadSecret) {
		t.Errorf("Sign with a bad secret = %v, want ErrBadSecret", err)
	}
}

// TestAuthenticate covers rotation, unpadded secrets and tolerance
// settings beyond what the fixtures (one secret, default tolerance) show.
func TestAuthenticate(t *testing.T) {
	now := time.Unix(1768288198, 0)
	body := []byte(`{"type":"document.sent","data":{"document_id":"d"}}`)
	request := func(secret string, ts time.Time) *providers.Request {
		sig, err := standardwebhooks.Sign(secret, "msg_x", ts, body)
		if err != nil {
			t.Fatal(err)
		}
		h := http.Header{}
		h.Set(standardwebhooks.HeaderID, "msg_x")
		h.Set(standardwebhooks.HeaderTimestamp, strconv.FormatInt(ts.Unix(), 10))
		h.Set(standardwebhooks.HeaderSignature, sig)
		return &providers.Request{Method: http.MethodPost, Header: h, Body: body}
	}
	rotated := newAdapter(t, "whsec_b2xkIGtleQ", officialSecret) // "old key", unpadded
	tolerant, err := standardwebhooks.New(config.Provider{Secrets: []config.Secret{config.NewSecret(officialSecret)}, Tolerance: config.Duration(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		a    *standardwebhooks.Adapter
		req  *providers.Request
		ok   bool
	}{
		{"new secret", rotated, request(officialSecret, now), true},
		{"old unpadded secret", rotated, request("whsec_b2xkIGtleQ==", now), true},
		{"retired secret", newAdapter(t), request("whsec_b2xkIGtleQ==", now), false},
		{"at the tolerance edge", newAdapter(t), request(officialSecret, now.Add(-5*time.Minute)), true},
		{"past default tolerance", newAdapter(t), request(officialSecret, now.Add(-10*time.Minute)), false},
		{"within a wider tolerance", tolerant, request(officialSecret, now.Add(-10*time.Minute)), true},
		{"timestamp not a number", newAdapter(t), func() *providers.Request {
			r := request(officialSecret, now)
			r.Header.Set(standardwebhooks.HeaderTimestamp, "soon")
			return r
		}(), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.a.Authenticate(tt.req, now)
			if tt.ok && err != nil {
				t.Fatalf("Authenticate: %v", err)
			}
			if !tt.ok && !errors.Is(err, providers.ErrUnauthenticated) {
				t.Fatalf("Authenticate = %v, want ErrUnauthenticated", err)
			}
		})
	}
}

func FuzzAdapter(f *testing.F) {
	f.Add("POST", "Webhook-Id: m\nWebhook-Timestamp: 1\nWebhook-Signature: v1, v1,=== v2,x", "", []byte(`{"type":"recipient.signed","data":{"document_id":1}}`), int64(1))
	providertest.Fuzz(f, newAdapter(f), providertest.Load(f, "testdata/*.json")...)
}
