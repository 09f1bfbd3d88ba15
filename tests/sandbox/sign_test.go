package sandbox

import (
	"errors"
	"testing"
)

func TestSignStandardWebhooks(t *testing.T) {
	const (
		secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
		id     = "msg_p5jXN8AQM9LWM0D4loKWxJek"
		ts     = int64(1614265330)
		body   = `{"test": 2432232314}`
	)
	tests := []struct {
		name    string
		secret  string
		body    string
		want    string
		match   bool
		wantErr error
	}{
		{"official vector", secret, body, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", true, nil},
		{"must-fail vector", secret, body, "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=", false, nil},
		{"empty signature", secret, body, "v1,", false, nil},
		{"other body", secret, `{"test": 2432232315}`, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", false, nil},
		{"secret not base64", "whsec_!!!", body, "", false, ErrSecret},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := SignStandardWebhooks(tt.secret, id, ts, []byte(tt.body))
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if err != nil {
				return
			}
			if (got == tt.want) != tt.match {
				t.Fatalf("signature %q vs %q: match = %v, want %v", got, tt.want, got == tt.want, tt.match)
			}
		})
	}
}

func TestSignStandardWebhooksUnpaddedSecret(t *testing.T) {
	padded, err := SignStandardWebhooks("whsec_MDEyMzQ1Njc4OWFiY2RlZg==", "msg_1", 1, []byte("{}"))
	if err != nil {
		t.Fatal(err)
	}
	unpadded, err := SignStandardWebhooks("whsec_MDEyMzQ1Njc4OWFiY2RlZg", "msg_1", 1, []byte("{}"))
	if err != nil {
		t.Fatal(err)
	}
	if padded != unpadded {
		t.Fatalf("padded %q != unpadded %q", padded, unpadded)
	}
}

func TestSignDocuSign(t *testing.T) {
	const body = `{"event":"envelope-completed","apiVersion":"v2.1","uri":"/restapi/v2.1/accounts/acct-1/envelopes/env-1","retryCount":0,"configurationId":12345,"generatedDateTime":"2026-01-13T07:09:58.9584687Z","data":{"accountId":"acct-1","userId":"user-1","envelopeId":"env-1"}}`
	tests := []struct {
		name, key, body string
		match           bool
	}{
		{"vector", "docusign-test-key", body, true},
		{"other key", "docusign-test-key2", body, false},
		{"retry changes the body", "docusign-test-key", body[:len(body)-2] + ` }}`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := SignDocuSign(tt.key, []byte(tt.body))
			if (got == "uVTRIiDv+T8BAlK5XQp46ZCBKCSlhbj0cJHndNh0MwY=") != tt.match {
				t.Fatalf("SignDocuSign = %q, match want %v", got, tt.match)
			}
		})
	}
}

func TestDropboxEventHash(t *testing.T) {
	const key = "324e3b0840f065eb51f3fd63231d0d33daa35d4ed10d27718839e81737065782"
	reversed := []rune(key)
	for i, j := 0, len(reversed)-1; i < j; i, j = i+1, j-1 {
		reversed[i], reversed[j] = reversed[j], reversed[i]
	}
	tests := []struct {
		name, key, event, want string
		match                  bool
	}{
		{"sent", key, "signature_request_sent", "08d45a6b7677492b78be030cef18cfeaece8fe67e163cc8e526ee638ad483756", true},
		{"account confirmed", key, "account_confirmed", "6dc5b7aad93cf54915e0089d6c31d61b3833f66f51459171c69f8fa211308848", true},
		{"reversed key", string(reversed), "signature_request_sent", "08d45a6b7677492b78be030cef18cfeaece8fe67e163cc8e526ee638ad483756", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := DropboxEventHash(tt.key, "1348177752", tt.event); (got == tt.want) != tt.match {
				t.Fatalf("DropboxEventHash = %s, match want %v", got, tt.match)
			}
		})
	}
}
