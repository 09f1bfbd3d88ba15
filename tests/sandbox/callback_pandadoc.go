package sandbox

import (
	"encoding/json"
	"fmt"
	"net/url"
	"time"
)

// pandaDocEvent is one element of a PandaDoc callback body (an array).
type pandaDocEvent struct {
	Event string       `json:"event"`
	Data  pandaDocData `json:"data"`
}

type pandaDocData struct {
	ID           string            `json:"id"`
	Name         string            `json:"name"`
	Status       string            `json:"status"`
	DateModified string            `json:"date_modified"`
	ActionBy     *pandaDocActionBy `json:"action_by,omitempty"`
}

type pandaDocActionBy struct {
	Email string `json:"email"`
}

// buildPandaDoc sends an array of events signed in the query. A rotation
// message batches the previous step's event before this one, as PandaDoc
// batches events: countersign must apply each once.
func (s *Sandbox) buildPandaDoc(w *wire, m *message, name string, r *Recipient) error {
	events := []pandaDocEvent{}
	if m.rotation && m.step > 0 {
		prev := m.env.Script[m.step-1]
		if n := eventName(KindPandaDoc, prev); n != "" {
			events = append(events, pandaDocElement(m.env, n, prev, stepRecipient(m.env, prev)))
		}
	}
	events = append(events, pandaDocElement(m.env, name, m.st, r))
	body, err := json.Marshal(events)
	if err != nil {
		return fmt.Errorf("sandbox: pandadoc body: %w", err)
	}
	key := s.cfg.Secrets.PandaDocKey
	if m.forged {
		key = "forged:" + m.id
	}
	w.url += "?" + url.Values{"signature": {SignPandaDoc(key, body)}}.Encode()
	w.header.Set("Content-Type", "application/json")
	w.body = body
	return nil
}

// pandaDocElement is the event announcing st: document_state_changed with
// the new status, or recipient_completed for a signer (whose document is
// still out for signature).
func pandaDocElement(e *Envelope, name string, st Step, r *Recipient) pandaDocEvent {
	ev := pandaDocEvent{Event: "document_state_changed", Data: pandaDocData{
		ID: e.ID, Name: "Sandbox document", Status: name, DateModified: st.At.UTC().Format(time.RFC3339Nano),
	}}
	if name == "recipient_completed" {
		ev.Event, ev.Data.Status = name, "document.sent"
	}
	if r != nil {
		ev.Data.ActionBy = &pandaDocActionBy{Email: r.Email}
	}
	return ev
}

// PandaDocConfig returns the entry of countersign's providers list (YAML,
// indented for `tenants[].providers`) that receives the sandbox's PandaDoc
// callbacks signed with key: a generic HMAC provider named pandadoc, by
// configuration alone — README's PandaDoc preset.
func PandaDocConfig(key string) string {
	return fmt.Sprintf(`      - kind: hmac
        name: %s
        secrets: [%q]
        signature: {from: "query:signature", encoding: hex, algorithm: sha256}
        signed: "{body}"
        events:
          path: "/"
          type: "/event"
          status: "/data/status"
          envelope_id: "/data/id"
          occurred_at: "/data/date_modified"
          recipient_email: "/data/action_by/email"
        types:
          "document_state_changed:document.sent": sent
          "document_state_changed:document.viewed": delivered
          "document_state_changed:document.completed": completed
          "document_state_changed:document.declined": declined
          "document_state_changed:document.voided": voided
          "recipient_completed": recipient_signed
`, KindPandaDoc, key)
}
