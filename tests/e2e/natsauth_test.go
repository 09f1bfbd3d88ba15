package e2e

// deploy/nats/secure.conf: every standalone service runs under its own
// NATS user, a callback goes through all of them, and each user is
// refused where its service does not belong.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/countersign/countersign/services/admin"
	"github.com/countersign/countersign/services/dmsexport"
	"github.com/countersign/countersign/services/dmsexport/target"
	"github.com/countersign/countersign/services/ingress"
	"github.com/countersign/countersign/services/reconciler"
	"github.com/countersign/countersign/services/statesync"
	"github.com/countersign/countersign/services/verifier"
	"github.com/countersign/countersign/shared/bus"
	"github.com/countersign/countersign/shared/cli"
	"github.com/countersign/countersign/shared/config"
	"github.com/countersign/countersign/shared/meshtest"
	"github.com/countersign/countersign/shared/meshtest/mesh"
	"github.com/countersign/countersign/shared/process"
)

var natsUsers = []string{"ingress", "verifier", "statesync", "reconciler", "dmsexport", "admin"}

func natsPassword(user string) string { return "test-password-of-" + user }

// secureServer starts nats-server from deploy/nats/secure.conf with the
// passwords in its environment.
func secureServer(t *testing.T) *server.Server {
	t.Helper()
	for _, u := range natsUsers {
		t.Setenv("COUNTERSIGN_NATS_"+strings.ToUpper(u)+"_PASSWORD", natsPassword(u))
	}
	return startConf(t, "secure.conf", map[string]string{})
}

// connectAs connects to s as user, the way the binaries do.
func connectAs(t *testing.T, s *server.Server, user, password string) (*nats.Conn, func(), error) {
	t.Helper()
	opts, err := process.NATSOptions(cli.NATSAuth{User: user, Password: password})
	if err != nil {
		t.Fatal(err)
	}
	return process.Connect(s.ClientURL(), user, opts...)
}

func TestNATSUsersPerService(t *testing.T) {
	srv := secureServer(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	if _, _, err := connectAs(t, srv, "ingress", "wrong"); err == nil {
		t.Fatal("a wrong password connected")
	}
	if _, err := nats.Connect(srv.ClientURL()); err == nil {
		t.Fatal("an anonymous client connected")
	}

	// Every service starts under its own user and handles its part.
	dir := t.TempDir()
	path := filepath.Join(dir, "countersign.yaml")
	if err := os.WriteFile(path, []byte(mesh.DefaultConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	file, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	settings := cli.Settings{ConfigPath: path, DataDir: dir, IngressAddr: meshtest.FreeAddr(t), AdminAddr: meshtest.FreeAddr(t), LogLevel: "warn"}
	builds := map[string]process.BuildFunc{
		"ingress": ingress.FromEnv, "verifier": process.WithDeadLetters(verifier.FromEnv),
		"statesync": process.WithDeadLetters(statesync.FromEnv), "reconciler": reconciler.FromEnv,
		"dmsexport": process.WithDeadLetters(dmsexport.FromEnv), "admin": admin.FromEnv,
	}
	conns := map[string]*nats.Conn{}
	done := make(chan error, len(natsUsers))
	for _, u := range natsUsers {
		nc, closeNC, err := connectAs(t, srv, u, natsPassword(u))
		if err != nil {
			t.Fatalf("%s: %v", u, err)
		}
		conns[u] = nc
		env := &process.Env{Name: u, Settings: settings, File: file, Logger: slog.New(slog.DiscardHandler), NC: nc}
		t.Cleanup(func() { env.Close(); closeNC() })
		if err := process.Attach(ctx, env, process.Options{NeedLocker: u == "statesync"}); err != nil {
			t.Fatalf("%s starts under its NATS user: %v", u, err)
		}
		r, err := builds[u](ctx, env)
		if err != nil {
			t.Fatalf("%s builds under its NATS user: %v", u, err)
		}
		go func() { done <- r.Run(ctx) }()
	}
	base := "http://" + settings.IngressAddr
	meshtest.CheckFor(t, 15*time.Second, 20*time.Millisecond, func() error {
		resp, err := http.Get(base + "/healthz")
		if err != nil {
			return err
		}
		resp.Body.Close()
		return nil
	})
	now := time.Now()
	if resp := post(t, http.DefaultClient, base, "acme", specSecret, swDelivery{ID: "auth-1", TS: now, Body: swEvent("document.completed", "env-auth", "", now)}); resp.StatusCode != http.StatusOK {
		t.Fatalf("callback: %s", resp.Status)
	}
	meshtest.CheckFor(t, 20*time.Second, 50*time.Millisecond, func() error {
		req, _ := http.NewRequest(http.MethodGet, "http://"+settings.AdminAddr+"/v1/tenants/acme/envelopes/env-auth/ledger", nil)
		req.Header.Set("Authorization", "Bearer "+mesh.AdminToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		var l ledgerView
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("ledger: %s", resp.Status)
		}
		if err := json.NewDecoder(resp.Body).Decode(&l); err != nil || !l.Verified || len(l.Entries) != 1 {
			return fmt.Errorf("ledger %+v, %v", l, err)
		}
		return nil
	})

	// Where each does not belong: a publish another service owns, a read
	// of a stream it does not consume, deleting a stream.
	refused := func(user, what string, f func(js jetstream.JetStream) error) {
		t.Helper()
		js, err := jetstream.New(conns[user])
		if err != nil {
			t.Fatal(err)
		}
		if err := f(js); err == nil {
			t.Errorf("%s may %s", user, what)
		}
	}
	publish := func(subject string) func(jetstream.JetStream) error {
		return func(js jetstream.JetStream) error {
			c, cancel := context.WithTimeout(ctx, 750*time.Millisecond)
			defer cancel()
			_, err := js.Publish(c, subject, []byte(`{}`))
			return err
		}
	}
	read := func(stream string) func(jetstream.JetStream) error {
		return func(js jetstream.JetStream) error {
			c, cancel := context.WithTimeout(ctx, 750*time.Millisecond)
			defer cancel()
			s, err := js.Stream(c, stream)
			if err != nil {
				return err
			}
			_, err = s.GetMsg(c, 1)
			return err
		}
	}
	deleteStream := func(js jetstream.JetStream) error {
		c, cancel := context.WithTimeout(ctx, 750*time.Millisecond)
		defer cancel()
		return js.DeleteStream(c, bus.StreamRaw)
	}
	refused("ingress", "publish to STATE", publish(bus.StateSubject("acme", "env-x")))
	refused("ingress", "publish a ledger entry", publish("envelope.acme.env-x.completed"))
	refused("ingress", "read RAW", read(bus.StreamRaw))
	refused("ingress", "delete RAW", deleteStream)
	refused("verifier", "publish a ledger entry", publish("envelope.acme.env-x.completed"))
	refused("verifier", "publish to RAW", publish(bus.RawSubject("acme", "docusign", "env-x")))
	refused("statesync", "publish to RAW", publish(bus.RawSubject("acme", "docusign", "env-x")))
	refused("statesync", "delete RAW", deleteStream)
	refused("reconciler", "publish a ledger entry", publish("envelope.acme.env-x.completed"))
	refused("dmsexport", "publish a ledger entry", publish("envelope.acme.env-x.completed"))
	refused("dmsexport", "publish to RAW", publish(bus.RawSubject("acme", "docusign", "env-x")))
	refused("dmsexport", "delete RAW", deleteStream)
	// The exporter's default target works under its user: create the
	// object store, write, replace (which purges the old chunks), read back.
	djs, err := jetstream.New(conns["dmsexport"])
	if err != nil {
		t.Fatal(err)
	}
	obs, err := target.OpenObjectStore(ctx, djs, "exports", 1)
	if err != nil {
		t.Fatalf("dmsexport opens its object store: %v", err)
	}
	for _, body := range []string{"first", "second version"} {
		if err := obs.Put(ctx, "acme/env-auth/signed.pdf", strings.NewReader(body), int64(len(body))); err != nil {
			t.Fatalf("dmsexport writes its object store: %v", err)
		}
	}
	if info, err := target.Stat(ctx, obs, "acme/env-auth/signed.pdf"); err != nil || info.Size != int64(len("second version")) {
		t.Fatalf("dmsexport reads its object store: %+v, %v", info, err)
	}
	refused("admin", "publish a ledger entry", publish("envelope.acme.env-x.completed"))
	refused("admin", "delete RAW", deleteStream)

	cancel()
	for range natsUsers {
		if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
			t.Errorf("service stopped: %v", err)
		}
	}
}

// --nats-ca (and --nats-cert/--nats-key) connect over TLS to a server
// that requires client certificates; without the CA the server's
// certificate is not trusted.
func TestNATSClientTLS(t *testing.T) {
	dir := t.TempDir()
	ca := meshtest.NewCA(t, "nats-ca")
	cert, key := ca.Issue(t, "nats-server")
	ccert, ckey := ca.Issue(t, "countersign-ingress")
	opts := &server.Options{Host: "127.0.0.1", Port: -1, NoLog: true, NoSigs: true}
	tc, err := server.GenTLSConfig(&server.TLSConfigOpts{
		CertFile: meshtest.WriteFile(t, dir, "s.pem", cert), KeyFile: meshtest.WriteFile(t, dir, "s.key", key),
		CaFile: meshtest.WriteFile(t, dir, "ca.pem", ca.PEM), Verify: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	opts.TLSConfig, opts.TLSVerify = tc, true
	s, err := server.NewServer(opts)
	if err != nil {
		t.Fatal(err)
	}
	go s.Start()
	t.Cleanup(func() { s.Shutdown(); s.WaitForShutdown() })
	if !s.ReadyForConnections(10 * time.Second) {
		t.Fatal("not ready")
	}
	url := strings.Replace(s.ClientURL(), "nats://", "tls://", 1)
	auth := cli.NATSAuth{CA: filepath.Join(dir, "ca.pem"), Cert: meshtest.WriteFile(t, dir, "c.pem", ccert), Key: meshtest.WriteFile(t, dir, "c.key", ckey)}
	good, err := process.NATSOptions(auth)
	if err != nil {
		t.Fatal(err)
	}
	nc, closeNC, err := process.Connect(url, "tls-test", good...)
	if err != nil {
		t.Fatalf("connect over TLS with CA and client certificate: %v", err)
	}
	if !nc.TLSRequired() && nc.ConnectedUrl() == "" {
		t.Fatal("not connected over TLS")
	}
	closeNC()
	noCert, _ := process.NATSOptions(cli.NATSAuth{CA: auth.CA})
	if _, _, err := process.Connect(url, "tls-test", append(noCert, nats.MaxReconnects(0))...); err == nil {
		t.Fatal("connected without a client certificate")
	}
	noCA, _ := process.NATSOptions(cli.NATSAuth{Cert: auth.Cert, Key: auth.Key})
	if _, _, err := process.Connect(url, "tls-test", noCA...); err == nil {
		t.Fatal("trusted the server's certificate without --nats-ca")
	}
	if _, err := process.NATSOptions(cli.NATSAuth{User: "u", Password: "p", Creds: "x.creds"}); err == nil {
		t.Fatal("two kinds of credentials accepted")
	}
}
