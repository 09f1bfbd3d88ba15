package target

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/nats-io/nats.go/jetstream"
)

// ObjectStore stores artefacts in a JetStream object store bucket: chunked
// on the way in, digest-checked on the way out. A Put of an existing name
// replaces it atomically (readers see the old object or the new).
type ObjectStore struct {
	bucket string
	obs    jetstream.ObjectStore
}

// OpenObjectStore creates or opens bucket on js.
func OpenObjectStore(ctx context.Context, js jetstream.JetStream, bucket string, replicas int) (*ObjectStore, error) {
	if js == nil {
		return nil, errors.New("target: nats-object needs a JetStream connection")
	}
	if replicas < 1 {
		replicas = 1
	}
	obs, err := js.CreateOrUpdateObjectStore(ctx, jetstream.ObjectStoreConfig{
		Bucket: bucket, Description: "countersign DMS exports",
		Storage: jetstream.FileStorage, Replicas: replicas,
	})
	if err != nil {
		return nil, fmt.Errorf("target: object store %s: %w", bucket, err)
	}
	return &ObjectStore{bucket: bucket, obs: obs}, nil
}

// Put implements Target.
func (o *ObjectStore) Put(ctx context.Context, key string, r io.Reader, _ int64) error {
	if err := checkKey(key); err != nil {
		return err
	}
	meta := jetstream.ObjectMeta{Name: key, Headers: map[string][]string{"Content-Type": {contentType(key)}}}
	if _, err := o.obs.Put(ctx, meta, r); err != nil {
		return fmt.Errorf("target: put %s: %w", o.Location(key), err)
	}
	return nil
}

// Get implements Target. The object store checks the digest it recorded
// as the last chunk is read.
func (o *ObjectStore) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	if err := checkKey(key); err != nil {
		return nil, err
	}
	res, err := o.obs.Get(ctx, key)
	if errors.Is(err, jetstream.ErrObjectNotFound) {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, o.Location(key))
	}
	if err != nil {
		return nil, fmt.Errorf("target: get %s: %w", o.Location(key), err)
	}
	return res, nil
}

// Location implements Target.
func (o *ObjectStore) Location(key string) string {
	return "nats-object://" + o.bucket + "/" + key
}
