// Package exportapi is the request/reply contract between the DMS export
// service and its callers (the admin API, the CLI): subjects, requests and
// the export status. The admin API calls the service over NATS, so it does
// not import the service.
package exportapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
)

// Subjects of the dmsexport NATS micro service's endpoints.
const (
	// ServiceName is the micro service's name (nats micro discovery).
	ServiceName = "dmsexport"
	// SubjectStatus answers an envelope's export Status.
	SubjectStatus = "countersign.dmsexport.status"
	// SubjectRun queues the envelope's export again and answers its Status.
	SubjectRun = "countersign.dmsexport.run"
)

// Export states.
const (
	StatePending  = "pending"
	StateExported = "exported"
	StateFailed   = "failed"
)

// Request names one envelope.
type Request struct {
	Tenant     string `json:"tenant"`
	EnvelopeID string `json:"envelope_id"`
}

// Artefact is one stored and verified artefact (also the manifest's shape).
type Artefact struct {
	Name   string `json:"name"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// Status is an envelope's export as the admin API shows it (CONTRACT.md).
type Status struct {
	State      string     `json:"state"`
	Location   string     `json:"location"`
	Artefacts  []Artefact `json:"artefacts"`
	ExportedAt *time.Time `json:"exported_at"`
	PurgedAt   *time.Time `json:"purged_at"`
	Error      string     `json:"error"`
}

// Reply is what an endpoint answers: a Status, or an error with an HTTP
// status code for the admin API to pass on.
type Reply struct {
	Status *Status `json:"status,omitempty"`
	Error  string  `json:"error,omitempty"`
	Code   int     `json:"code,omitempty"`
}

// ErrNoService is returned (wrapped) when no dmsexport instance answers.
var ErrNoService = errors.New("exportapi: no dmsexport service answered")

// Call sends req to subject and returns the reply. Transport failures
// wrap ErrNoService; an error reply is returned as a Reply with Error set.
func Call(ctx context.Context, nc *nats.Conn, subject string, req Request) (Reply, error) {
	data, err := json.Marshal(req)
	if err != nil {
		return Reply{}, fmt.Errorf("exportapi: %w", err)
	}
	msg, err := nc.RequestWithContext(ctx, subject, data)
	if err != nil {
		return Reply{}, fmt.Errorf("%w: %s: %w", ErrNoService, subject, err)
	}
	var r Reply
	if err := json.Unmarshal(msg.Data, &r); err != nil {
		return Reply{}, fmt.Errorf("exportapi: reply from %s: %w", subject, err)
	}
	return r, nil
}
