package e2e

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/countersign/countersign/shared/meshtest"
	"github.com/countersign/countersign/shared/meshtest/mesh"
	"github.com/countersign/countersign/shared/service"
)

// everyService is what $SRV.PING must list for a complete deployment.
var everyService = []string{service.Ingress, service.Verifier, service.Statesync, service.Reconciler, service.DMSExport, service.Admin}

// TestEveryServiceAnswersPing: the all-in-one registers each of its
// services as a NATS micro service, so `nats micro ls` lists them, and
// the admin API reaches the reconciler's endpoint over NATS.
func TestEveryServiceAnswersPing(t *testing.T) {
	m := startMesh(t, mesh.DefaultConfig)
	meshtest.CheckFor(t, 15*time.Second, 100*time.Millisecond, func() error {
		return pingedAll(m.NATS.Conn, everyService)
	})
	// No provider of DefaultConfig has api:, so there is nothing to
	// reconcile: the reconciler's 404 comes back through the admin API.
	code, _ := trigger(t, m, mesh.AdminToken, "docusign", time.Time{})
	if code != http.StatusNotFound {
		t.Fatalf("POST /v1/reconcile without api: answered %d, want 404", code)
	}
}

// pingedAll returns an error unless every named service answers
// $SRV.PING.
func pingedAll(nc *nats.Conn, names []string) error {
	got, err := service.Ping(context.Background(), nc, 500*time.Millisecond)
	if err != nil {
		return err
	}
	seen := map[string]bool{}
	for _, in := range got {
		seen[in.Name] = true
	}
	for _, n := range names {
		if !seen[service.MicroName(n)] {
			return fmt.Errorf("%s did not answer $SRV.PING (answers: %+v)", n, got)
		}
	}
	return nil
}
