package chaos

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/countersign/countersign/shared/envelope"
	"github.com/countersign/countersign/tests/sandbox"
)

// Admin is a client of countersign's admin API.
type Admin struct {
	Base  string
	Token string
	HTTP  *http.Client
}

// NewAdmin returns a client of the admin API at base.
func NewAdmin(base, token string) *Admin {
	return &Admin{Base: base, Token: token, HTTP: &http.Client{Timeout: 10 * time.Second}}
}

// Get GETs path into out (on 200) and returns the status.
func (a *Admin) Get(path string, out any) (int, error) {
	req, err := http.NewRequest(http.MethodGet, a.Base+path, nil)
	if err != nil {
		return 0, fmt.Errorf("chaos: admin GET %s: %w", path, err)
	}
	req.Header.Set("Authorization", "Bearer "+a.Token)
	resp, err := a.HTTP.Do(req)
	if err != nil {
		return 0, fmt.Errorf("chaos: admin GET %s: %w", path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusOK && out != nil {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			return resp.StatusCode, fmt.Errorf("chaos: admin GET %s: decode: %w", path, err)
		}
	}
	return resp.StatusCode, nil
}

// EnvelopeView is the admin API's envelope answer.
type EnvelopeView struct {
	State      string `json:"state"`
	Recipients []struct {
		ID    string `json:"id"`
		Email string `json:"email"`
		State string `json:"state"`
	} `json:"recipients"`
	LedgerSeq  uint64 `json:"ledger_seq"`
	LedgerHash string `json:"ledger_hash"`
}

// LedgerView is the admin API's ledger answer.
type LedgerView struct {
	Entries  []envelope.Entry `json:"entries"`
	Verified bool             `json:"verified"`
}

// EnvelopePath is the admin API path of an envelope.
func EnvelopePath(tenant, id string) string {
	return "/v1/tenants/" + tenant + "/envelopes/" + url.PathEscape(id)
}

// Verdict is what one envelope's check found.
type Verdict struct {
	// Lost counts accepted events missing from the ledger, Duplicated the
	// extra copies of events the ledger holds more than once, Unexpected
	// entries whose event was never accepted.
	Lost, Duplicated, Unexpected int
	// Entries is the ledger's length.
	Entries int
	// Problems describe everything that is not as it must be; none means
	// the envelope has converged.
	Problems []string
}

// OK reports whether the envelope has converged.
func (v Verdict) OK() bool { return len(v.Problems) == 0 }

// CheckEnvelope checks one envelope against the sandbox's truth x (its
// state is compared only when complete, i.e. when webhooks alone must
// bring countersign there) and against want, the ids of the events
// countersign accepted for it: its ledger must hold each exactly once, with
// seq 1..n and a verifying chain, and ledger_hash must be the last hash.
func CheckEnvelope(a *Admin, x sandbox.Expected, complete bool, want map[string]bool) Verdict {
	var v Verdict
	fail := func(format string, args ...any) { v.Problems = append(v.Problems, fmt.Sprintf(format, args...)) }
	path := EnvelopePath(x.Tenant, x.EnvelopeID)
	var ev EnvelopeView
	code, err := a.Get(path, &ev)
	switch {
	case err != nil:
		fail("%v", err)
		return v
	case code == http.StatusNotFound && len(want) == 0 && !complete:
		return v // nothing accepted, nothing to hold
	case code != http.StatusOK:
		fail("envelope: status %d", code)
		return v
	}
	if complete {
		if ev.State != string(x.State) {
			fail("state %q, truth %q", ev.State, x.State)
		}
		for _, r := range x.Recipients {
			if r.State != envelope.RecipientSigned && r.State != envelope.RecipientDeclined {
				continue // unnamed or merely viewed recipients may be unknown
			}
			if got := recipientState(ev, r); got != string(r.State) {
				fail("recipient %s%s is %q, truth %q", r.ID, r.Email, got, r.State)
			}
		}
	}
	var l LedgerView
	if code, err := a.Get(path+"/ledger", &l); err != nil || code != http.StatusOK {
		fail("ledger: status %d: %v", code, err)
		return v
	}
	v.Entries = len(l.Entries)
	if !l.Verified {
		fail("ledger chain does not verify")
	}
	seen := map[string]int{}
	for i, e := range l.Entries {
		if e.Seq != uint64(i+1) {
			fail("entry %d has seq %d", i+1, e.Seq)
		}
		seen[e.ID]++
	}
	for id, n := range seen {
		if n > 1 {
			v.Duplicated += n - 1
			fail("event %s %d times in the ledger", id, n)
		}
		if !want[id] {
			v.Unexpected++
			fail("ledger entry for event %s that was never accepted", id)
		}
	}
	for id := range want {
		if seen[id] == 0 {
			v.Lost++
		}
	}
	if v.Lost > 0 {
		fail("%d of %d accepted events not in the ledger", v.Lost, len(want))
	}
	if n := len(l.Entries); n > 0 && (ev.LedgerSeq != uint64(n) || ev.LedgerHash != l.Entries[n-1].Hash) {
		fail("envelope says ledger_seq %d, the ledger has %d entries (or ledger_hash is not the last hash)", ev.LedgerSeq, n)
	}
	return v
}

// recipientState finds r in the view: by id where the provider has ids,
// else by email.
func recipientState(ev EnvelopeView, r sandbox.ExpectedRecipient) string {
	for _, got := range ev.Recipients {
		if (r.ID != "" && got.ID == r.ID) || (r.ID == "" && strings.EqualFold(got.Email, r.Email)) {
			return got.State
		}
	}
	return "(unknown)"
}
