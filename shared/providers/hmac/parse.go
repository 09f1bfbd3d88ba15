package hmac

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/countersign/countersign/shared/envelope"
	"github.com/countersign/countersign/shared/providers"
)

// Parse finds the events at events.path (an array is several events, an
// object one), maps each one's type — "type:status" first when status is
// configured, then "type" alone — through types, and reads its envelope
// id, time and recipient. Unmapped events are skipped (none mapped: the
// callback is counted and ignored). Malformed content — not JSON, no
// events where the path says, an event without a type, id or time —
// returns an error wrapping providers.ErrMalformed.
func (a *Adapter) Parse(tenant string, req *providers.Request) ([]envelope.Event, error) {
	c := a.c
	events, err := a.events(req.Body)
	if err != nil {
		return nil, err
	}
	var out []envelope.Event
	for i, obj := range events {
		typ, ok := text(c.typ, obj)
		if !ok {
			return nil, fmt.Errorf("%w: event %d has no type at %s", providers.ErrMalformed, i, c.typ)
		}
		t, mapped := a.mapType(typ, obj)
		if !mapped {
			continue
		}
		envelopeID, _ := text(c.envelopeID, obj)
		at, err := a.occurredAt(obj)
		if err != nil {
			return nil, fmt.Errorf("event %d: %w", i, err)
		}
		var r *envelope.RecipientRef
		if email, ok := text(c.email, obj); ok && email != "" && (t.IsRecipient() || t == envelope.TypeDelivered) {
			r = &envelope.RecipientRef{Email: email}
		}
		deliveryID, _ := text(c.deliveryID, obj)
		ev, err := providers.NewEvent(tenant, c.name, envelopeID, t, r, at, deliveryID)
		if err != nil {
			return nil, fmt.Errorf("event %d: %w", i, err)
		}
		out = append(out, ev)
	}
	return out, nil
}

// events decodes body and returns the event objects at events.path.
func (a *Adapter) events(body []byte) ([]any, error) {
	if !utf8.Valid(body) {
		// JSON decoding would turn bad bytes into U+FFFD, so two different
		// ids could become one envelope.
		return nil, fmt.Errorf("%w: body: not valid UTF-8", providers.ErrMalformed)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("%w: body is not JSON: %s", providers.ErrMalformed, providers.Reason(err))
	}
	if dec.More() {
		return nil, fmt.Errorf("%w: body holds more than one JSON value", providers.ErrMalformed)
	}
	at, ok := a.c.path.Resolve(doc)
	if !ok {
		return nil, fmt.Errorf("%w: no events at %s", providers.ErrMalformed, pathName(a.c.path))
	}
	switch v := at.(type) {
	case []any:
		return v, nil
	case map[string]any:
		return []any{v}, nil
	default:
		return nil, fmt.Errorf("%w: events at %s are neither an array nor an object", providers.ErrMalformed, pathName(a.c.path))
	}
}

func pathName(p Pointer) string {
	if p.IsZero() {
		return "/"
	}
	return p.String()
}

// mapType looks up "type:status" (when status is configured and present),
// then "type".
func (a *Adapter) mapType(typ string, obj any) (envelope.Type, bool) {
	if status, ok := text(a.c.status, obj); ok && !a.c.status.IsZero() {
		if t, ok := a.c.types[typ+":"+status]; ok {
			return t, true
		}
	}
	t, ok := a.c.types[typ]
	return t, ok
}

// occurredAt reads events.occurred_at: RFC 3339, or unix seconds as a
// number or a string of digits.
func (a *Adapter) occurredAt(obj any) (time.Time, error) {
	v, ok := a.c.occurredAt.Resolve(obj)
	if !ok {
		return time.Time{}, fmt.Errorf("%w: no time at %s", providers.ErrMalformed, a.c.occurredAt)
	}
	s, ok := scalarText(v)
	if !ok {
		return time.Time{}, fmt.Errorf("%w: time at %s is not a string or number", providers.ErrMalformed, a.c.occurredAt)
	}
	t, err := parseTimestamp(s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%w: bad time at %s", providers.ErrMalformed, a.c.occurredAt)
	}
	return t, nil
}

// maxUnix is the last second of year 9999: later times have no RFC 3339
// form, so the ledger could not record them.
const maxUnix = 253402300799

// parseTimestamp reads unix seconds (digits only, as providers.UnixSeconds
// takes them) or an RFC 3339 time.
func parseTimestamp(s string) (time.Time, error) {
	if s != "" && strings.Trim(s, "0123456789") == "" {
		n, ok := providers.UnixSeconds(s)
		if !ok || n > maxUnix {
			return time.Time{}, fmt.Errorf("%w: bad unix timestamp", providers.ErrMalformed)
		}
		return time.Unix(n, 0).UTC(), nil
	}
	return providers.ParseTime(s)
}

// text resolves p in obj and returns a string or number found there; false
// for an unset pointer, a missing value or one of another type.
func text(p Pointer, obj any) (string, bool) {
	if p.IsZero() {
		return "", false
	}
	v, ok := p.Resolve(obj)
	if !ok {
		return "", false
	}
	return scalarText(v)
}
