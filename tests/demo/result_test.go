package demo

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/countersign/countersign/tests/sandbox"
)

func TestResultErrAndPrint(t *testing.T) {
	base := func() *Result {
		return &Result{
			Report: sandbox.Report{
				Envelopes: 10, Callbacks: 50, Sent: 60, Duplicated: 5, Reordered: 30, Dropped: 2,
				Forged: 3, Rejected401: 3, StatusCodes: map[int]int{200: 58, 503: 2},
				AckLatencies: sandbox.Latencies{time.Millisecond, 2 * time.Millisecond, 40 * time.Millisecond},
			},
			PerKind:         map[string]int{sandbox.KindDocuSign: 6, sandbox.KindAdobeSign: 4},
			WebhookComplete: 8, Converged: 8, NeedsReconciliation: 2, Reconciled: 1,
			BeyondReach: map[string]int{reasonNoChangeList: 1},
			Ledgers:     10, FromProviderAPI: 7, DLQ: 1, Pending: map[string]error{},
		}
	}
	tests := []struct {
		name   string
		change func(*Result)
		want   error
		lines  []string
	}{
		{"pass", func(*Result) {}, nil, []string{
			"envelopes              10  (docusign 6, adobesign 4)",
			"  dropped              2",
			"  forged               3  (401: 3, other: 0)",
			"  status codes         200×58 503×2",
			"ack latency            p50 2.0ms  p99 40.0ms  (3 acks)",
			"converged              8/8",
			"needs reconciliation   2  (converged: 1)",
			"converged              9/9  (every envelope any webhook or provider API could reveal)",
			"  beyond reach         1  (adobesign/esignanywhere",
			"ledgers verified       10/10",
			"DLQ entries            1",
			"RESULT                 OK",
		}},
		{"not converged", func(r *Result) {
			r.Converged = 7
			r.Pending["acme/docusign/x"] = errors.New("state \"sent\", want \"completed\"")
		}, ErrNotConverged, []string{
			"converged              7/8",
			"  not converged: acme/docusign/x: state \"sent\", want \"completed\"",
			"RESULT                 FAIL",
		}},
		{"reachable but not reconciled", func(r *Result) { r.BeyondReach = map[string]int{} },
			ErrNotConverged, []string{"converged              9/10", "RESULT                 FAIL"}},
		{"forgery accepted", func(r *Result) { r.Report.Rejected401, r.Report.ForgedNot401 = 2, 1 },
			ErrForgeryAccepted, []string{"(401: 2, other: 1)"}},
		{"unsound ledger", func(r *Result) { r.Unsound = []error{errors.New("x: ledger does not verify")} },
			ErrUnsoundLedger, []string{"ledgers verified       9/10", "  unsound ledger: x: ledger does not verify"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := base()
			tc.change(r)
			if err := r.Err(); !errors.Is(err, tc.want) || (tc.want == nil && err != nil) {
				t.Fatalf("Err = %v, want %v", err, tc.want)
			}
			var b strings.Builder
			r.Print(&b)
			for _, l := range tc.lines {
				if !strings.Contains(b.String(), l) {
					t.Errorf("report lacks %q:\n%s", l, b.String())
				}
			}
		})
	}
}

func TestSplit(t *testing.T) {
	must, rest := split(map[string]sandbox.Expected{
		"a": {WebhookComplete: true}, "b": {WebhookComplete: false}, "c": {WebhookComplete: true},
	})
	if len(must) != 2 || len(rest) != 1 || !must["a"].WebhookComplete || rest["b"].WebhookComplete {
		t.Fatalf("split: must %v, rest %v", must, rest)
	}
}
