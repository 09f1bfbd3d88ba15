package dropboxsign

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"

	"github.com/countersign/countersign/shared/providers"
)

// maxFormMemory bounds what multipart parsing keeps in memory; ingress
// already capped the body, this only stops spilling to temp files.
const maxFormMemory = 32 << 20

// eventJSON returns the event JSON of a callback: the "json" field of a
// multipart/form-data (or url-encoded) body, else the body itself.
func eventJSON(header http.Header, body []byte) ([]byte, error) {
	mediaType, params, err := mime.ParseMediaType(header.Get("Content-Type"))
	if err != nil {
		// No or unreadable Content-Type: a raw JSON body is accepted.
		return body, nil
	}
	switch mediaType {
	case "multipart/form-data":
		return multipartField(body, params["boundary"])
	case "application/x-www-form-urlencoded":
		form, err := url.ParseQuery(string(body))
		if err != nil {
			return nil, fmt.Errorf("url-encoded body: %s", providers.Reason(err))
		}
		if !form.Has("json") {
			return nil, errors.New(`url-encoded body has no "json" field`)
		}
		return []byte(form.Get("json")), nil
	}
	return body, nil
}

func multipartField(body []byte, boundary string) ([]byte, error) {
	if boundary == "" {
		return nil, errors.New("multipart body without a boundary")
	}
	r := multipart.NewReader(bytes.NewReader(body), boundary)
	for {
		part, err := r.NextPart()
		if err == io.EOF {
			return nil, errors.New(`multipart body has no "json" field`)
		}
		if err != nil {
			return nil, fmt.Errorf("multipart body: %s", providers.Reason(err))
		}
		if part.FormName() != "json" {
			continue
		}
		data, err := io.ReadAll(io.LimitReader(part, maxFormMemory))
		if err != nil {
			return nil, fmt.Errorf("multipart json field: %s", providers.Reason(err))
		}
		return data, nil
	}
}

// payload is the callback JSON, the fields countersign reads.
type payload struct {
	Event struct {
		Time          jsonText `json:"event_time"`
		Type          string   `json:"event_type"`
		Hash          string   `json:"event_hash"`
		EventMetadata struct {
			RelatedSignatureID string `json:"related_signature_id"`
		} `json:"event_metadata"`
	} `json:"event"`
	SignatureRequest *struct {
		ID         string `json:"signature_request_id"`
		Signatures []struct {
			SignatureID string `json:"signature_id"`
			Email       string `json:"signer_email_address"`
		} `json:"signatures"`
	} `json:"signature_request"`
}

// jsonText is a JSON string or number kept as its text: event_time is a
// string in Dropbox Sign's examples, and the hash covers its text either way.
type jsonText string

// UnmarshalJSON implements json.Unmarshaler.
func (t *jsonText) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*t = jsonText(s)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return errors.New("event_time is neither string nor number")
	}
	*t = jsonText(strings.TrimSpace(n.String()))
	return nil
}

func decode(header http.Header, body []byte) (*payload, error) {
	raw, err := eventJSON(header, body)
	if err != nil {
		return nil, err
	}
	var p payload
	if err := json.Unmarshal(raw, &p); err != nil {
		return nil, fmt.Errorf("event json: %s", providers.Reason(err))
	}
	return &p, nil
}
