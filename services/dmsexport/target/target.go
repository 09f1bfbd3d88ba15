// Package target stores export artefacts: the JetStream object store (the
// default), a directory, or an S3 bucket. Every implementation passes one
// conformance suite (target_test.go), against the real thing.
package target

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/countersign/countersign/shared/config"
)

// ErrNotFound is returned (wrapped) by Get for a key the target does not hold.
var ErrNotFound = errors.New("target: no such object")

// ErrKey is returned (wrapped) for a key that is not a clean relative path.
var ErrKey = errors.New("target: invalid key")

// Target is where artefacts are stored, under keys "<tenant>/<envelope
// token>/<name>".
type Target interface {
	// Put stores r's bytes under key, replacing what was there. size is
	// the length when known, -1 otherwise. r is streamed: memory does not
	// grow with its length. A failed Put leaves no partial object under
	// key (a previous one may remain).
	Put(ctx context.Context, key string, r io.Reader, size int64) error
	// Get opens what the target holds under key, or an error wrapping
	// ErrNotFound.
	Get(ctx context.Context, key string) (io.ReadCloser, error)
	// Location is key's address as a URL, for the ledger and the manifest.
	Location(key string) string
}

// Info is what a target holds under a key.
type Info struct {
	Size int64
	// SHA256 is the lowercase hex SHA-256 of the content.
	SHA256 string
}

// Stat reads back what t holds under key and hashes it: the check that
// what was stored is what was meant, whatever the target's own metadata
// claims. Memory stays constant; the cost is one read of the object.
func Stat(ctx context.Context, t Target, key string) (Info, error) {
	rc, err := t.Get(ctx, key)
	if err != nil {
		return Info{}, err
	}
	defer rc.Close()
	h := sha256.New()
	n, err := io.Copy(h, rc)
	if err != nil {
		return Info{}, fmt.Errorf("target: read back %s: %w", key, err)
	}
	return Info{Size: n, SHA256: hex.EncodeToString(h.Sum(nil))}, nil
}

// Credentials are an S3 target's keys.
type Credentials struct {
	AccessKey, SecretKey string
}

// Open returns the target t names. js is needed for nats-object targets,
// replicas sizes the object store bucket there.
func Open(ctx context.Context, t config.ExportTarget, creds Credentials, js jetstream.JetStream, replicas int) (Target, error) {
	switch t.Scheme {
	case config.SchemeNATSObject:
		return OpenObjectStore(ctx, js, t.Bucket, replicas)
	case config.SchemeFile:
		return NewDir(t.Dir)
	case config.SchemeS3:
		return NewS3(t, creds)
	default:
		return nil, fmt.Errorf("target: unknown scheme %q", t.Scheme)
	}
}

// checkKey refuses keys that could escape a directory or prefix: empty
// segments, ".", "..", backslashes or NUL. Keys are built from subject-safe
// tokens, so a refusal is a bug, never data.
func checkKey(key string) error {
	if key == "" || strings.ContainsAny(key, "\\\x00") {
		return fmt.Errorf("%w: %q", ErrKey, key)
	}
	for _, seg := range strings.Split(key, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return fmt.Errorf("%w: %q", ErrKey, key)
		}
	}
	return nil
}

// contentType is an artefact's media type by its name.
func contentType(key string) string {
	switch {
	case strings.HasSuffix(key, ".pdf"):
		return "application/pdf"
	case strings.HasSuffix(key, ".json"):
		return "application/json"
	default:
		return "application/octet-stream"
	}
}
