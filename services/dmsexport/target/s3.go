package target

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/countersign/countersign/shared/config"
)

// s3PartSize is the multipart part size: the most of one artefact held in
// memory at once (minio-go buffers a part to sign it), well under the
// 64 MB budget whatever the document's size.
const s3PartSize = 8 << 20

// S3 stores artefacts in an S3 bucket (AWS or any S3-compatible server)
// under a key prefix. A PUT (or a completed multipart upload) is atomic:
// an interrupted one leaves nothing under the key.
type S3 struct {
	t      config.ExportTarget
	client *minio.Client
}

// NewS3 returns the target for t. It does not contact the server: a
// store that is down at start-up fails the first export, which is retried.
func NewS3(t config.ExportTarget, creds Credentials) (*S3, error) {
	c, err := minio.New(t.Endpoint, &minio.Options{
		Creds:  credentials.NewStaticV4(creds.AccessKey, creds.SecretKey, ""),
		Secure: t.Secure,
		Region: t.Region,
	})
	if err != nil {
		return nil, fmt.Errorf("target: s3 client for %s: %w", t.Endpoint, err)
	}
	return &S3{t: t, client: c}, nil
}

// Put implements Target.
func (s *S3) Put(ctx context.Context, key string, r io.Reader, size int64) error {
	if err := checkKey(key); err != nil {
		return err
	}
	_, err := s.client.PutObject(ctx, s.t.Bucket, s.t.Prefix+key, r, size, minio.PutObjectOptions{
		ContentType: contentType(key), PartSize: s3PartSize,
	})
	if err != nil {
		return fmt.Errorf("target: put %s: %w", s.Location(key), err)
	}
	return nil
}

// Get implements Target.
func (s *S3) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	if err := checkKey(key); err != nil {
		return nil, err
	}
	obj, err := s.client.GetObject(ctx, s.t.Bucket, s.t.Prefix+key, minio.GetObjectOptions{})
	if err != nil {
		return nil, fmt.Errorf("target: get %s: %w", s.Location(key), err)
	}
	// GetObject is lazy: Stat makes the request, so a missing key is
	// reported here rather than on the first Read.
	if _, err := obj.Stat(); err != nil {
		obj.Close()
		var er minio.ErrorResponse
		if errors.As(err, &er) && (er.Code == "NoSuchKey" || er.StatusCode == 404) {
			return nil, fmt.Errorf("%w: %s", ErrNotFound, s.Location(key))
		}
		return nil, fmt.Errorf("target: get %s: %w", s.Location(key), err)
	}
	return obj, nil
}

// Location implements Target.
func (s *S3) Location(key string) string {
	return "s3://" + s.t.Bucket + "/" + s.t.Prefix + key
}

// Client is the underlying minio client (tests create buckets with it).
func (s *S3) Client() *minio.Client { return s.client }
