package target

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
)

// Dir stores artefacts as files under a directory. A Put writes a temp
// file beside the final one, fsyncs it, renames it into place and fsyncs
// the directory: after a crash the key holds the old bytes or the new,
// never a torn file, and a completed Put survives power loss.
type Dir struct {
	root string
}

// NewDir returns the target for directory root (created if missing).
func NewDir(root string) (*Dir, error) {
	if err := os.MkdirAll(root, 0o750); err != nil {
		return nil, fmt.Errorf("target: %w", err)
	}
	return &Dir{root: root}, nil
}

func (d *Dir) path(key string) (string, error) {
	if err := checkKey(key); err != nil {
		return "", err
	}
	return filepath.Join(d.root, filepath.FromSlash(key)), nil
}

// Put implements Target.
func (d *Dir) Put(ctx context.Context, key string, r io.Reader, _ int64) (err error) {
	final, err := d.path(key)
	if err != nil {
		return err
	}
	dir := filepath.Dir(final)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return fmt.Errorf("target: %w", err)
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(final)+".tmp-*")
	if err != nil {
		return fmt.Errorf("target: %w", err)
	}
	defer func() {
		if err != nil {
			_ = tmp.Close()
			_ = os.Remove(tmp.Name())
		}
	}()
	if _, err := io.Copy(tmp, ctxReader{ctx, r}); err != nil {
		return fmt.Errorf("target: write %s: %w", key, err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("target: fsync %s: %w", key, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("target: close %s: %w", key, err)
	}
	if err := os.Rename(tmp.Name(), final); err != nil {
		return fmt.Errorf("target: rename %s: %w", key, err)
	}
	// The rename is durable only once the directory entry is.
	df, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("target: open dir of %s: %w", key, err)
	}
	defer df.Close()
	if err := df.Sync(); err != nil {
		return fmt.Errorf("target: fsync dir of %s: %w", key, err)
	}
	return nil
}

// Get implements Target.
func (d *Dir) Get(_ context.Context, key string) (io.ReadCloser, error) {
	p, err := d.path(key)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, key)
	}
	if err != nil {
		return nil, fmt.Errorf("target: %w", err)
	}
	return f, nil
}

// Location implements Target.
func (d *Dir) Location(key string) string {
	return (&url.URL{Scheme: "file", Path: filepath.ToSlash(filepath.Join(d.root, filepath.FromSlash(key)))}).String()
}

// ctxReader stops a copy when ctx is done.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
