package target

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"hash"
	"io"

	"github.com/nats-io/nats.go/jetstream"
)

// ObjectStore stores artefacts in a JetStream object store bucket: chunked
// on the way in, digest-checked on the way out. A Put of an existing name
// replaces it atomically (readers see the old object or the new).
type ObjectStore struct {
	bucket string
	obs    jetstream.ObjectStore
	stream jetstream.Stream
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
	stream, err := js.Stream(ctx, "OBJ_"+bucket)
	if err != nil {
		return nil, fmt.Errorf("target: object store %s: %w", bucket, err)
	}
	return &ObjectStore{bucket: bucket, obs: obs, stream: stream}, nil
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

// Get implements Target. It reads the object's chunks one at a time by
// direct gets on their subject, not through the object store's push
// consumer: that one delivers as fast as the server sends, and a reader
// slower than the server (hashing, writing elsewhere) would have the
// client buffer up to its 64 MB pending limit — memory that grows with
// the object. The digest recorded at Put is checked at the end.
func (o *ObjectStore) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	if err := checkKey(key); err != nil {
		return nil, err
	}
	info, err := o.obs.GetInfo(ctx, key)
	if errors.Is(err, jetstream.ErrObjectNotFound) {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, o.Location(key))
	}
	if err != nil {
		return nil, fmt.Errorf("target: get %s: %w", o.Location(key), err)
	}
	return &chunkReader{
		ctx: ctx, stream: o.stream, subject: "$O." + o.bucket + ".C." + info.NUID,
		left: info.Chunks, size: info.Size, digest: info.Digest, hash: sha256.New(), loc: o.Location(key),
	}, nil
}

// chunkReader reads an object's chunks in order, one request each.
type chunkReader struct {
	ctx     context.Context
	stream  jetstream.Stream
	subject string
	next    uint64
	left    uint32
	size    uint64
	read    uint64
	buf     []byte
	digest  string
	hash    hash.Hash
	loc     string
}

func (c *chunkReader) Read(p []byte) (int, error) {
	for len(c.buf) == 0 {
		if c.left == 0 {
			return 0, c.finish()
		}
		msg, err := c.stream.GetMsg(c.ctx, max(c.next, 1), jetstream.WithGetMsgSubject(c.subject))
		if err != nil {
			return 0, fmt.Errorf("target: get %s: chunk: %w", c.loc, err)
		}
		c.next = msg.Sequence + 1
		c.left--
		c.buf = msg.Data
		c.hash.Write(msg.Data)
		c.read += uint64(len(msg.Data))
	}
	n := copy(p, c.buf)
	c.buf = c.buf[n:]
	return n, nil
}

// finish checks size and digest once every chunk is read.
func (c *chunkReader) finish() error {
	want := "SHA-256=" + base64.URLEncoding.EncodeToString(c.hash.Sum(nil))
	if c.read != c.size || (c.digest != "" && c.digest != want) {
		return fmt.Errorf("target: get %s: %d of %d bytes, digest %s, recorded %s", c.loc, c.read, c.size, want, c.digest)
	}
	return io.EOF
}

func (c *chunkReader) Close() error { return nil }

// Location implements Target.
func (o *ObjectStore) Location(key string) string {
	return "nats-object://" + o.bucket + "/" + key
}
