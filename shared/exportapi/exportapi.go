// Package exportapi is the shape of a DMS export as the dmsexport
// service's endpoints (shared/service: EndpointExportStatus,
// EndpointExport) answer it and the admin API passes it on, so neither
// imports the other.
package exportapi

import "time"

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
