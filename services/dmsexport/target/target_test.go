package target_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/countersign/countersign/services/dmsexport/target"
	"github.com/countersign/countersign/shared/config"
	"github.com/countersign/countersign/shared/meshtest"
)

// opened is one target under test.
type opened struct {
	name string
	t    target.Target
}

// targets opens every implementation against the real thing: an embedded
// JetStream server, a temp dir, and versitygw on a free port.
func targets(t *testing.T) []opened {
	t.Helper()
	ctx := context.Background()
	n := meshtest.StartNATS(t)
	obs, err := target.OpenObjectStore(ctx, n.JS, "exports", 1)
	if err != nil {
		t.Fatal(err)
	}
	dir, err := target.NewDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	s3 := meshtest.StartS3(t)
	s3.MakeBucket(t, "dms")
	et, err := config.ParseExportTarget("s3://dms/countersign/exports?endpoint=" + s3.Endpoint + "&region=us-east-1")
	if err != nil {
		t.Fatal(err)
	}
	st, err := target.NewS3(et, target.Credentials{AccessKey: s3.AccessKey, SecretKey: s3.SecretKey})
	if err != nil {
		t.Fatal(err)
	}
	return []opened{{"nats-object", obs}, {"file", dir}, {"s3", st}}
}

// pattern is a deterministic stream of n bytes that is not all one value.
type pattern struct{ n, off int64 }

func (p *pattern) Read(b []byte) (int, error) {
	if p.off >= p.n {
		return 0, io.EOF
	}
	k := int64(len(b))
	if rest := p.n - p.off; rest < k {
		k = rest
	}
	for i := range k {
		x := p.off + i
		b[i] = byte(x*31 + x>>8)
	}
	p.off += k
	return int(k), nil
}

func sum(r io.Reader) (int64, string) {
	h := sha256.New()
	n, _ := io.Copy(h, r)
	return n, hex.EncodeToString(h.Sum(nil))
}

// failing returns its data, then err.
type failing struct {
	r   io.Reader
	err error
}

func (f failing) Read(b []byte) (int, error) {
	n, err := f.r.Read(b)
	if err == io.EOF {
		return n, f.err
	}
	return n, err
}

func TestConformance(t *testing.T) {
	for _, o := range targets(t) {
		t.Run(o.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			tg := o.t

			// A missing key is ErrNotFound.
			if _, err := tg.Get(ctx, "acme/env-1/signed.pdf"); !errors.Is(err, target.ErrNotFound) {
				t.Fatalf("Get missing = %v, want ErrNotFound", err)
			}
			// Put then Get and Stat give the same bytes.
			body := []byte("%PDF-1.4 signed\n")
			if err := tg.Put(ctx, "acme/env-1/signed.pdf", bytes.NewReader(body), int64(len(body))); err != nil {
				t.Fatal(err)
			}
			rc, err := tg.Get(ctx, "acme/env-1/signed.pdf")
			if err != nil {
				t.Fatal(err)
			}
			got, _ := io.ReadAll(rc)
			rc.Close()
			if !bytes.Equal(got, body) {
				t.Fatalf("Get = %q, want %q", got, body)
			}
			info, err := target.Stat(ctx, tg, "acme/env-1/signed.pdf")
			want := sha256.Sum256(body)
			if err != nil || info.Size != int64(len(body)) || info.SHA256 != hex.EncodeToString(want[:]) {
				t.Fatalf("Stat = %+v, %v", info, err)
			}
			// An overwrite replaces; an unknown size streams.
			body2 := []byte(`{"artefacts":[]}`)
			if err := tg.Put(ctx, "acme/env-1/signed.pdf", bytes.NewReader(body2), -1); err != nil {
				t.Fatal(err)
			}
			if info, _ := target.Stat(ctx, tg, "acme/env-1/signed.pdf"); info.Size != int64(len(body2)) {
				t.Fatalf("after overwrite Stat = %+v", info)
			}
			// An empty object is an object.
			if err := tg.Put(ctx, "acme/env-1/empty.json", bytes.NewReader(nil), 0); err != nil {
				t.Fatal(err)
			}
			if info, err := target.Stat(ctx, tg, "acme/env-1/empty.json"); err != nil || info.Size != 0 {
				t.Fatalf("empty Stat = %+v, %v", info, err)
			}
			// A large object, of unknown size, spans many chunks/parts.
			const big = 20 << 20
			if err := tg.Put(ctx, "acme/=ZW52IDI/audit.pdf", &pattern{n: big}, -1); err != nil {
				t.Fatal(err)
			}
			wn, ws := sum(&pattern{n: big})
			if info, err := target.Stat(ctx, tg, "acme/=ZW52IDI/audit.pdf"); err != nil || info.Size != wn || info.SHA256 != ws {
				t.Fatalf("big Stat = %+v, %v; want %d %s", info, err, wn, ws)
			}
			// A reader failing midway leaves the previous object intact,
			// never a torn one.
			err = tg.Put(ctx, "acme/env-1/signed.pdf", failing{&pattern{n: 3 << 20}, errors.New("connection reset")}, -1)
			if err == nil {
				t.Fatal("Put from a failing reader succeeded")
			}
			if info, err := target.Stat(ctx, tg, "acme/env-1/signed.pdf"); err != nil || info.Size != int64(len(body2)) {
				t.Fatalf("after a failed Put, Stat = %+v, %v; want the previous object", info, err)
			}
			// A failed first Put leaves nothing.
			_ = tg.Put(ctx, "acme/env-3/signed.pdf", failing{&pattern{n: 1 << 20}, errors.New("cut")}, -1)
			if _, err := tg.Get(ctx, "acme/env-3/signed.pdf"); !errors.Is(err, target.ErrNotFound) {
				t.Fatalf("after a failed first Put, Get = %v, want ErrNotFound", err)
			}
			// Keys that could escape are refused.
			for _, k := range []string{"../x", "acme//x", "acme/./x", "", "a\\b"} {
				if err := tg.Put(ctx, k, strings.NewReader("x"), 1); !errors.Is(err, target.ErrKey) {
					t.Errorf("Put(%q) = %v, want ErrKey", k, err)
				}
			}
			if loc := tg.Location("acme/env-1/manifest.json"); !strings.HasSuffix(loc, "acme/env-1/manifest.json") {
				t.Errorf("Location = %q", loc)
			}
		})
	}
}
