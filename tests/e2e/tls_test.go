package e2e

// HTTPS on ingress and admin (mTLS there), and certificate rotation by
// reload: certificates are made at run time, none is committed.

import (
	"context"
	"crypto/tls"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/countersign/countersign/shared/meshtest"
	"github.com/countersign/countersign/shared/meshtest/mesh"
)

func TestTLSListenersAndCertificateReload(t *testing.T) {
	dir := t.TempDir()
	serverCA, clientCA := meshtest.NewCA(t, "server-ca"), meshtest.NewCA(t, "client-ca")
	cert, key := serverCA.Issue(t, "countersign-1")
	certFile := meshtest.WriteFile(t, dir, "server.pem", cert)
	keyFile := meshtest.WriteFile(t, dir, "server.key", key)
	caFile := meshtest.WriteFile(t, dir, "clients.pem", clientCA.PEM)
	cfg := fmt.Sprintf(`
admin:
  tokens: [%q]
  tls: {cert_file: %q, key_file: %q, client_ca_file: %q}
ingress:
  tls: {cert_file: %q, key_file: %q}
tenants:
  - id: acme
    rate_limit: {rate: 100000, burst: 100000}
    providers:
      - kind: standardwebhooks
        secrets: [%q]
`, mesh.AdminToken, certFile, keyFile, caFile, certFile, keyFile, specSecret)
	m := startMesh(t, cfg)
	if !strings.HasPrefix(m.IngressURL, "https://") || !strings.HasPrefix(m.AdminURL, "https://") {
		t.Fatalf("URLs %s %s: want https", m.IngressURL, m.AdminURL)
	}

	// A fresh connection each time, so each sees the certificate served now.
	client := func(certs ...tls.Certificate) *http.Client {
		return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
			DisableKeepAlives: true,
			TLSClientConfig:   &tls.Config{RootCAs: serverCA.Pool(), Certificates: certs},
		}}
	}
	servedCN := func(c *http.Client, url string) (string, error) {
		resp, err := c.Get(url)
		if err != nil {
			return "", err
		}
		resp.Body.Close()
		return resp.TLS.PeerCertificates[0].Subject.CommonName, nil
	}

	// Ingress: HTTPS accepts a signed callback; plain HTTP is not served.
	now := time.Now()
	if resp := post(t, client(), m.IngressURL, "acme", specSecret, swDelivery{ID: "tls-1", TS: now, Body: swEvent("document.sent", "env-tls", "", now)}); resp.StatusCode != http.StatusOK {
		t.Fatalf("callback over HTTPS: %s", resp.Status)
	}
	if resp, err := http.Get(strings.Replace(m.IngressURL, "https://", "http://", 1) + "/healthz"); err == nil {
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			t.Fatal("ingress answered plain HTTP")
		}
	}

	// Admin: mTLS — no client certificate, no connection; with one signed
	// by client_ca_file, the token decides as always.
	ccert, ckey := clientCA.Issue(t, "operator")
	pair, err := tls.X509KeyPair(ccert, ckey)
	if err != nil {
		t.Fatal(err)
	}
	adminGetWith := func(c *http.Client) (int, error) {
		req, _ := http.NewRequest(http.MethodGet, m.AdminURL+"/v1/tenants/acme/envelopes/none", nil)
		req.Header.Set("Authorization", "Bearer "+mesh.AdminToken)
		resp, err := c.Do(req)
		if err != nil {
			return 0, err
		}
		resp.Body.Close()
		return resp.StatusCode, nil
	}
	if _, err := adminGetWith(client()); err == nil {
		t.Fatal("admin accepted a connection without a client certificate")
	}
	stranger, skey := serverCA.Issue(t, "not-a-client")
	spair, _ := tls.X509KeyPair(stranger, skey)
	if _, err := adminGetWith(client(spair)); err == nil {
		t.Fatal("admin accepted a client certificate from another CA")
	}
	if code, err := adminGetWith(client(pair)); err != nil || code != http.StatusNotFound {
		t.Fatalf("admin with a client certificate: %d, %v; want 404", code, err)
	}

	// Renewal: new files, a reload, and new connections get the new
	// certificate on both listeners.
	cert2, key2 := serverCA.Issue(t, "countersign-2")
	meshtest.WriteFile(t, dir, "server.pem", cert2)
	meshtest.WriteFile(t, dir, "server.key", key2)
	if err := m.Env().Reload(context.Background()); err != nil {
		t.Fatal(err)
	}
	if cn, err := servedCN(client(), m.IngressURL+"/healthz"); err != nil || cn != "countersign-2" {
		t.Fatalf("ingress after reload serves %q (%v), want countersign-2", cn, err)
	}
	if cn, err := servedCN(client(pair), m.AdminURL+"/healthz"); err != nil || cn != "countersign-2" {
		t.Fatalf("admin after reload serves %q (%v), want countersign-2", cn, err)
	}

	// A broken certificate file is refused by the reload; the running
	// certificate stays.
	meshtest.WriteFile(t, dir, "server.pem", []byte("not a certificate"))
	if err := m.Env().Reload(context.Background()); err == nil || !strings.Contains(err.Error(), "ingress.tls") {
		t.Fatalf("reload with a broken certificate: %v, want an error naming ingress.tls", err)
	}
	if cn, err := servedCN(client(), m.IngressURL+"/healthz"); err != nil || cn != "countersign-2" {
		t.Fatalf("after a failed reload ingress serves %q (%v), want countersign-2", cn, err)
	}
}
