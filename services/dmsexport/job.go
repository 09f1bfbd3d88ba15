package dmsexport

import (
	"strconv"

	"github.com/countersign/countersign/shared/envelope"
)

// Job is one export, as queued on EXPORT: which envelope, and the ledger
// entry that completed it (the ledger snapshot ends there).
type Job struct {
	Tenant     string `json:"tenant"`
	Provider   string `json:"provider"`
	EnvelopeID string `json:"envelope_id"`
	// CompletedSeq and CompletedAt are the completing entry's seq and
	// occurred_at.
	CompletedSeq uint64 `json:"completed_seq"`
	CompletedAt  string `json:"completed_at"`
	// Run counts exports asked for by POST …/export (0: the first); a job
	// of an older run than the record's is stale.
	Run int `json:"run"`
}

// jobSubject is the EXPORT subject of an envelope's jobs.
func jobSubject(tenant, envelopeID string) string {
	return "export." + tenant + "." + envelope.Token(envelopeID)
}

// jobMsgID dedupes a job: a duplicate completed entry (or a redelivered
// one) queues nothing new, while a re-export (a new run) does.
func jobMsgID(j Job) string {
	return "export-" + j.Tenant + "-" + envelope.Token(j.EnvelopeID) + "-" + strconv.Itoa(j.Run)
}

// keyOf is an artefact's key in the target: <tenant>/<envelope token>/<name>.
func keyOf(tenant, envelopeID, name string) string {
	return tenant + "/" + envelope.Token(envelopeID) + "/" + name
}
