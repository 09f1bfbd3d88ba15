package e2e

import (
	"context"
	"errors"
	"fmt"
	"math/rand"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/countersign/countersign/shared/meshtest"
	"github.com/countersign/countersign/shared/meshtest/mesh"
	"github.com/countersign/countersign/tests/demo"
	"github.com/countersign/countersign/tests/sandbox"
)

// TestProvidersConverge plays every provider from the sandbox against the
// all-in-one, whose providers have api: sections pointing at the
// sandbox's API: each kind's envelopes are delivered duplicated,
// reordered and redelivered (nothing dropped), with forgeries among them.
// Every envelope whose callbacks were all acknowledged must reach the
// provider's truth (recipients included), every ledger must verify with
// no event twice, forgeries must be answered 401 and change nothing, and
// the providers whose callbacks are not signed must have been confirmed
// against their API.
func TestProvidersConverge(t *testing.T) {
	// The API server's URL goes into the mesh's config and the mesh's
	// ingress URL into the sandbox's, so the handler is set once both exist.
	var api atomic.Pointer[http.Handler]
	notYet := http.Handler(http.NotFoundHandler())
	api.Store(&notYet)
	apiSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		(*api.Load()).ServeHTTP(w, r)
	}))
	t.Cleanup(apiSrv.Close)

	m := startMesh(t, demo.RenderConfig(demo.ConfigParams{
		AdminToken: mesh.AdminToken, Tenant: "acme", Secrets: demo.DevSecrets(),
		APIBaseURL: apiSrv.URL, API: demo.DevAPI(), PersistTimeout: "2s",
	}))
	sb, err := sandbox.New(sandbox.Config{
		Target: m.IngressURL, Tenant: "acme", Secrets: demo.DevSecrets(), API: demo.DevAPI(),
		DuplicatePct: 0.2, LostAckPct: 0.1, Reorder: true, Redeliveries: 5,
		ForgedPct: 0.1, Seed: 7,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sb.Close)
	h := sb.APIHandler()
	api.Store(&h)
	admin := &demo.Admin{BaseURL: m.AdminURL, Token: mesh.AdminToken}

	tests := []struct {
		kind string
		// confirmed: callbacks are not signed, so the verifier asks the
		// provider's API and its ledger entries say so.
		confirmed bool
	}{
		{sandbox.KindStandardWebhooks, false},
		{sandbox.KindDocuSign, false},
		{sandbox.KindDropboxSign, true},
		{sandbox.KindAdobeSign, true},
		{sandbox.KindESignAnyWhere, true},
		// Configured, not coded: a generic HMAC provider (kind hmac).
		{sandbox.KindPandaDoc, false},
	}
	for i, tc := range tests {
		t.Run(tc.kind, func(t *testing.T) {
			envs := sandbox.Generate(rand.New(rand.NewSource(int64(100+i))), 30, []string{tc.kind}, "acme")
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			rep, err := sb.Fire(ctx, envs)
			if err != nil {
				t.Fatalf("fire: %v", err)
			}
			checkFaults(t, rep)
			truth := sb.Truth()
			checkConverged(t, admin, envs, truth)
			checkLedgers(t, admin, envs, tc.confirmed)
		})
	}
}

// checkFaults makes sure the faults the test is about happened, that
// nothing was lost, and that every forgery was turned away.
func checkFaults(t *testing.T, rep sandbox.Report) {
	t.Helper()
	for name, n := range map[string]int{
		"duplicated": rep.Duplicated, "reordered": rep.Reordered,
		"redelivered": rep.Retried, "forged": rep.Forged,
	} {
		if n == 0 {
			t.Errorf("no callback was %s: the run does not exercise it", name)
		}
	}
	if rep.Dropped != 0 || rep.Failed != 0 {
		t.Errorf("dropped %d, failed %d callbacks, want none (status codes %v)", rep.Dropped, rep.Failed, rep.StatusCodes)
	}
	if rep.ForgedNot401 != 0 || rep.Rejected401 != rep.Forged {
		t.Errorf("forged %d: %d answered 401, %d otherwise", rep.Forged, rep.Rejected401, rep.ForgedNot401)
	}
}

// checkConverged waits until every envelope of envs whose callbacks were
// all acknowledged matches the truth. A forgery (a decline that never
// happened) that got through would show here as a wrong state.
func checkConverged(t *testing.T, admin *demo.Admin, envs []*sandbox.Envelope, truth map[string]sandbox.Expected) {
	t.Helper()
	pending := map[string]sandbox.Expected{}
	for _, e := range envs {
		if x := truth[e.Key()]; x.WebhookComplete {
			pending[e.Key()] = x
		}
	}
	if len(pending) < len(envs)/2 {
		t.Fatalf("only %d of %d envelopes are webhook-complete", len(pending), len(envs))
	}
	meshtest.CheckFor(t, 20*time.Second, 100*time.Millisecond, func() error {
		var first error
		for k, x := range pending {
			v, err := admin.Envelope(context.Background(), x.Tenant, x.EnvelopeID)
			if err == nil {
				err = demo.Check(x, v)
			}
			if err == nil {
				delete(pending, k)
			} else if first == nil {
				first = err
			}
		}
		if first != nil {
			return fmt.Errorf("%d envelopes not converged, e.g. %w", len(pending), first)
		}
		return nil
	})
}

// checkLedgers checks every ledger, and that the kind's callbacks were
// confirmed against the provider API when confirmed is set.
func checkLedgers(t *testing.T, admin *demo.Admin, envs []*sandbox.Envelope, confirmed bool) {
	t.Helper()
	fromAPI := 0
	for _, e := range envs {
		l, err := admin.Ledger(context.Background(), e.Tenant, e.ID)
		if errors.Is(err, demo.ErrNotFound) {
			t.Errorf("%s: no ledger", e.ID)
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := demo.CheckLedger(l); err != nil {
			t.Errorf("%s: %v", e.ID, err)
		}
		if l.HasSource("provider_api") {
			fromAPI++
		}
	}
	if confirmed && fromAPI == 0 {
		t.Errorf("no ledger has an entry with source provider_api: callbacks were not confirmed against the API")
	}
}
