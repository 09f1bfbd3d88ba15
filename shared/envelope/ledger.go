package envelope

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"strconv"

	"github.com/gowebpki/jcs"
)

// Entry is one ledger entry: the JSON message published on
// envelope.<tenant>.<envelope>.<type> (CONTRACT.md). Timestamps are kept as
// the strings that were hashed, so re-marshalling never changes the bytes.
type Entry struct {
	// ID is the id of the event this entry records.
	ID         string `json:"id"`
	Tenant     string `json:"tenant"`
	Provider   string `json:"provider"`
	EnvelopeID string `json:"envelope_id"`
	// Type is the event's type, or TypeStale / TypeConflict.
	Type Type `json:"type"`
	// State is the envelope state after the entry, PreviousState before it.
	State         State `json:"state"`
	PreviousState State `json:"previous_state"`
	// Recipient is set for recipient events only.
	Recipient *EntryRecipient `json:"recipient,omitempty"`
	// OccurredAt is when the provider says it happened, RecordedAt when
	// the state machine applied it; both RFC 3339 in UTC (FormatTime).
	OccurredAt string `json:"occurred_at"`
	RecordedAt string `json:"recorded_at"`
	Source     Source `json:"source"`
	// Detail is an object saying more: what an audit entry did, or for a
	// stale or conflict entry the type it stood for ({"type": …}). It is
	// part of the hashed entry and kept as the bytes that were hashed.
	Detail json.RawMessage `json:"detail,omitempty"`
	// Seq counts the envelope's entries from 1; PrevHash is the hash of
	// entry Seq-1 ("" for the first) and Hash this entry's (ComputeHash).
	Seq      uint64 `json:"seq"`
	PrevHash string `json:"prev_hash"`
	Hash     string `json:"hash"`
}

// EntryRecipient is the recipient of a recipient event as it stands after
// the entry.
type EntryRecipient struct {
	ID    string         `json:"id"`
	Email string         `json:"email"`
	State RecipientState `json:"state"`
}

// Subject returns the subject the entry is published on.
func (e Entry) Subject() string { return Subject(e.Tenant, e.EnvelopeID, e.Type) }

// MsgID returns the Nats-Msg-Id to publish the entry with: its place in the
// chain, so republishing an outbox entry after a crash is deduplicated.
func (e Entry) MsgID() string {
	return "ledger." + RecordKey(e.Tenant, e.EnvelopeID) + "." + strconv.FormatUint(e.Seq, 10)
}

// ComputeHash returns the entry's hash: lowercase hex SHA-256 of
// PrevHash + "\n" + JCS(entry without "hash"). The Hash field is ignored.
func (e Entry) ComputeHash() (string, error) {
	e.Hash = ""
	raw, err := json.Marshal(e)
	if err != nil {
		return "", fmt.Errorf("marshal ledger entry: %w", err)
	}
	// Hash is the struct's last field, so cutting its empty form off the end
	// leaves the entry without "hash" (cheaper than a generic re-parse).
	body, ok := bytes.CutSuffix(raw, []byte(`,"hash":""}`))
	if !ok {
		return "", fmt.Errorf("marshal ledger entry: unexpected form %q", raw)
	}
	return hashBody(e.PrevHash, append(body, '}'))
}

// hashBody hashes the JSON of an entry without its "hash" member.
func hashBody(prevHash string, body []byte) (string, error) {
	canon, err := jcs.Transform(body)
	if err != nil {
		return "", fmt.Errorf("canonicalize ledger entry: %w", err)
	}
	h := sha256.New()
	h.Write([]byte(prevHash))
	h.Write([]byte("\n"))
	h.Write(canon)
	return hex.EncodeToString(h.Sum(nil)), nil
}

// hashObject hashes a ledger entry parsed as a generic JSON object, the way
// an auditor holding only the published bytes would.
func hashObject(prevHash string, obj map[string]json.RawMessage) (string, error) {
	delete(obj, "hash")
	body, err := json.Marshal(obj)
	if err != nil {
		return "", fmt.Errorf("marshal ledger entry: %w", err)
	}
	return hashBody(prevHash, body)
}

// VerifyChain checks raw JSON ledger messages of one envelope, in seq order,
// as an outside auditor would: each parses as a JSON object, its hash matches
// the recomputed one, prev_hash links to the previous entry's hash (""
// first), seq runs 1..n without gaps, and every entry names the same tenant
// and envelope. An empty chain is intact. Errors wrap ErrChainBroken and
// name the seq (or position) and what broke.
func VerifyChain(raw [][]byte) error {
	var prevHash, tenant, envelopeID string
	for i, msg := range raw {
		seq := uint64(i) + 1
		e, obj, err := parseEntry(msg)
		if err != nil {
			return fmt.Errorf("%w: entry %d: %w", ErrChainBroken, seq, err)
		}
		if e.Seq != seq {
			return fmt.Errorf("%w: entry %d: seq is %d", ErrChainBroken, seq, e.Seq)
		}
		if i == 0 {
			tenant, envelopeID = e.Tenant, e.EnvelopeID
		} else if e.Tenant != tenant || e.EnvelopeID != envelopeID {
			return fmt.Errorf("%w: seq %d: entry of %s/%s in the chain of %s/%s",
				ErrChainBroken, seq, e.Tenant, e.EnvelopeID, tenant, envelopeID)
		}
		if e.PrevHash != prevHash {
			return fmt.Errorf("%w: seq %d: prev_hash %q does not link to %q", ErrChainBroken, seq, e.PrevHash, prevHash)
		}
		want, err := hashObject(e.PrevHash, obj)
		if err != nil {
			return fmt.Errorf("%w: seq %d: %w", ErrChainBroken, seq, err)
		}
		if e.Hash != want {
			return fmt.Errorf("%w: seq %d: hash %q, content hashes to %q", ErrChainBroken, seq, e.Hash, want)
		}
		prevHash = e.Hash
	}
	return nil
}

// chainFields are the fields VerifyChain reads from an entry.
type chainFields struct {
	Tenant, EnvelopeID, PrevHash, Hash string
	Seq                                uint64
}

// parseEntry parses one raw ledger message by exact key, as an auditor
// would.
func parseEntry(msg []byte) (chainFields, map[string]json.RawMessage, error) {
	var e chainFields
	obj, err := parseObject(msg)
	if err != nil {
		return e, nil, err
	}
	fields := []struct {
		key      string
		dst      any
		required bool
	}{
		{"seq", &e.Seq, true},
		{"prev_hash", &e.PrevHash, true},
		{"hash", &e.Hash, true},
		{"tenant", &e.Tenant, false},
		{"envelope_id", &e.EnvelopeID, false},
	}
	for _, f := range fields {
		v, ok := obj[f.key]
		if !ok {
			if f.required {
				return e, nil, fmt.Errorf("no %q field", f.key)
			}
			continue
		}
		if string(v) == "null" {
			return e, nil, fmt.Errorf("field %q is null", f.key)
		}
		if err := json.Unmarshal(v, f.dst); err != nil {
			return e, nil, fmt.Errorf("field %q: %w", f.key, err)
		}
	}
	return e, obj, nil
}

// parseObject splits a JSON object into its members, rejecting duplicate
// keys, which a plain map would silently collapse to the last one. Nested
// duplicates are left to JCS, which rejects them when hashing.
func parseObject(msg []byte) (map[string]json.RawMessage, error) {
	dec := json.NewDecoder(bytes.NewReader(msg))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, fmt.Errorf("not a JSON object (%v)", err)
	}
	obj := map[string]json.RawMessage{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("bad JSON: %w", err)
		}
		key, ok := tok.(string)
		if !ok {
			return nil, fmt.Errorf("bad JSON: key %v", tok)
		}
		if _, dup := obj[key]; dup {
			return nil, fmt.Errorf("duplicate key %q", key)
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, fmt.Errorf("bad JSON: %w", err)
		}
		obj[key] = v
	}
	if _, err := dec.Token(); err != nil {
		return nil, fmt.Errorf("bad JSON: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("data after the JSON object")
	}
	return obj, nil
}

// VerifyEntries checks typed entries exactly as VerifyChain checks their
// published JSON.
func VerifyEntries(entries []Entry) error {
	raw := make([][]byte, len(entries))
	for i, e := range entries {
		b, err := json.Marshal(e)
		if err != nil {
			return fmt.Errorf("marshal entry %d: %w", i+1, err)
		}
		raw[i] = b
	}
	return VerifyChain(raw)
}
