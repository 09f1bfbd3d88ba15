package providers

import (
	"context"
	"errors"
	"io"
)

// Artefact names of a provider's documents in an export.
const (
	// DocumentSigned is the combined signed documents.
	DocumentSigned = "signed.pdf"
	// DocumentAudit is the provider's audit trail / certificate.
	DocumentAudit = "audit.pdf"
)

var (
	// ErrNotReady is returned (wrapped) when the provider has not yet
	// prepared an envelope's files (Dropbox Sign before
	// signature_request_downloadable): retry later, it is not a failure.
	ErrNotReady = errors.New("providers: documents not ready yet")
	// ErrPurgeUnsupported is returned (wrapped) by Purge for a provider
	// that cannot delete a completed envelope's documents.
	ErrPurgeUnsupported = errors.New("providers: purge unsupported")
)

// Document is one downloadable file of a completed envelope.
type Document struct {
	// Name is the artefact name (DocumentSigned, DocumentAudit, or
	// signed-N.pdf for a provider that has no combined download).
	Name string
	// Ref is the provider's handle for it (a path segment, a file id).
	Ref string
}

// DocumentClient downloads a completed envelope's documents and deletes
// them at the provider (PROVIDERS.md, "Acting at the provider").
type DocumentClient interface {
	// Documents lists the envelope's documents in a fixed order, or an
	// error wrapping ErrNotFound or ErrNotReady.
	Documents(ctx context.Context, envelopeID string) ([]Document, error)
	// Download streams one document with its length (-1 if unknown). The
	// caller closes it.
	Download(ctx context.Context, envelopeID string, d Document) (io.ReadCloser, int64, error)
	// Purge deletes the envelope's documents at the provider, or returns
	// an error wrapping ErrPurgeUnsupported. It is called at most once per
	// export; an answer of "not found" counts as done.
	Purge(ctx context.Context, envelopeID string) error
}
