package natsserver_test

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/countersign/countersign/shared/natsserver"
)

// canary is a body no store file may contain in plaintext.
const canary = "Signer Jane Canary-7f3a9c <jane.canary-7f3a9c@example.com>"

// storeHolds reports whether any file under dir contains s.
func storeHolds(t *testing.T, dir, s string) bool {
	t.Helper()
	found := false
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if bytes.Contains(b, []byte(s)) {
			found = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return found
}

// run starts a server on dir with key, calls f with JetStream, and shuts
// the server down (flushing its store).
func run(t *testing.T, dir, key string, f func(js jetstream.JetStream)) {
	t.Helper()
	srv, err := natsserver.Start(natsserver.Options{Listen: "127.0.0.1:-1", StoreDir: dir, EncryptionKey: key, SyncAlways: true})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { srv.Shutdown(); srv.WaitForShutdown() }()
	nc, err := nats.Connect(srv.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	f(js)
}

func storeAndRead(t *testing.T, dir, key string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	run(t, dir, key, func(js jetstream.JetStream) {
		if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "RAW", Subjects: []string{"raw.>"}, Storage: jetstream.FileStorage}); err != nil {
			t.Fatal(err)
		}
		if _, err := js.Publish(ctx, "raw.acme.docusign", []byte(`{"recipient":"`+canary+`"}`)); err != nil {
			t.Fatal(err)
		}
	})
}

// With streams.encryption_key the data dir holds no plaintext body, and
// the store opens again with the key.
func TestStoreEncryptedAtRest(t *testing.T) {
	const key = "a-test-store-key-of-enough-length"
	dir := t.TempDir()
	storeAndRead(t, dir, key)
	if storeHolds(t, dir, canary) {
		t.Fatal("the encrypted store holds the body in plaintext")
	}
	run(t, dir, key, func(js jetstream.JetStream) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		s, err := js.Stream(ctx, "RAW")
		if err != nil {
			t.Fatalf("reopen with the key: %v", err)
		}
		m, err := s.GetMsg(ctx, 1)
		if err != nil || !bytes.Contains(m.Data, []byte(canary)) {
			t.Fatalf("reopen with the key: message %v, %v", m, err)
		}
	})

	// The control: without a key the same body is on disk as it came,
	// so the grep above can fail.
	plain := t.TempDir()
	storeAndRead(t, plain, "")
	if !storeHolds(t, plain, canary) {
		t.Fatal("control: the unencrypted store does not hold the body; the check proves nothing")
	}
}
