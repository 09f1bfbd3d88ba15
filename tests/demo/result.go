package demo

import (
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/countersign/countersign/shared/envelope"
	"github.com/countersign/countersign/tests/sandbox"
)

// maxListed bounds how many pending envelopes or unsound ledgers the
// report names.
const maxListed = 10

// Result is what a demo run measured.
type Result struct {
	// Report is the sandbox's delivery report (faults, status codes,
	// acknowledgement latencies).
	Report sandbox.Report
	// PerKind counts envelopes by provider kind.
	PerKind map[string]int
	// FireTime is how long delivering took; ConvergeTime how long the
	// wait for the webhook-complete envelopes took after that.
	FireTime, ConvergeTime time.Duration
	// WebhookComplete counts envelopes whose every callback was
	// acknowledged; Converged how many of them reached the truth.
	WebhookComplete, Converged int
	// Pending holds the last difference of each webhook-complete
	// envelope that did not converge, by sandbox key.
	Pending map[string]error
	// NeedsReconciliation counts envelopes that webhooks alone cannot
	// bring to the truth (a callback dropped, or the provider sends none,
	// as DocuSign for expiry); Reconciled how many got there anyway
	// (confirmation against the provider API, reconciliation).
	NeedsReconciliation, Reconciled int
	// Unreached holds the last difference of each envelope that did not
	// converge though a webhook or the provider's API could have told
	// countersign (the ones beyond reach are only counted, by reason).
	Unreached map[string]error
	// ReconcileChecked, ReconcileDrift and ReconcilePublished add up the
	// answers of the reconcile windows the demo triggered.
	ReconcileChecked, ReconcileDrift, ReconcilePublished int
	// BeyondReach counts, by reason, envelopes that did not converge and
	// that no provider API could have revealed (see beyondReach).
	BeyondReach map[string]int
	// RecoveredByPoll counts envelopes whose ledger holds an entry that
	// only reconciliation (source "poll") supplied.
	RecoveredByPoll int
	// Ledgers counts ledgers read; Unsound lists those that failed
	// CheckLedger.
	Ledgers int
	Unsound []error
	// FromProviderAPI counts ledger entries whose source is the
	// provider's API (confirmations and corrections).
	FromProviderAPI int
	// DLQ is the DLQ stream's message count at the end.
	DLQ uint64
	// ExportsDue counts envelopes countersign holds as completed at a
	// provider with an API; Exported those exported whose manifest checks
	// out in the object store; ExportProblems the others; ExportTime the
	// wait for them.
	ExportsDue, Exported int
	ExportProblems       []error
	ExportTime           time.Duration
	// Notify is what the notification scenario measured (nil when it
	// did not run).
	Notify *NotifyResult
}

// Err returns nil when the demo passed: every webhook-complete envelope
// converged, every forged delivery got 401, every ledger is sound, the
// exports are in place and the notification scenario played out.
// Otherwise the error wraps ErrNotConverged, ErrForgeryAccepted,
// ErrUnsoundLedger, ErrExport or ErrNotify.
func (r *Result) Err() error {
	switch {
	case r.Converged < r.WebhookComplete:
		return fmt.Errorf("%w: %d of %d", ErrNotConverged, r.WebhookComplete-r.Converged, r.WebhookComplete)
	case r.unreached() > 0:
		return fmt.Errorf("%w: %d reachable through the provider's API did not converge", ErrNotConverged, r.unreached())
	case r.Report.ForgedNot401 > 0:
		return fmt.Errorf("%w: %d of %d", ErrForgeryAccepted, r.Report.ForgedNot401, r.Report.Forged)
	case len(r.Unsound) > 0:
		return fmt.Errorf("%w: %d of %d", ErrUnsoundLedger, len(r.Unsound), r.Ledgers)
	case r.Exported < r.ExportsDue:
		return fmt.Errorf("%w: %d of %d", ErrExport, r.ExportsDue-r.Exported, r.ExportsDue)
	case r.Notify != nil && r.Notify.Err() != nil:
		return r.Notify.Err()
	}
	return nil
}

// Reasons an envelope lies beyond any API's reach.
const (
	reasonNoAPI        = "standardwebhooks/pandadoc: no provider API to ask"
	reasonNoChangeList = "adobesign/esignanywhere: every callback lost, and the API lists no changes to find it by"
	reasonNoRecipients = "esignanywhere: a signer's callback lost, and the API names no recipients"
	reasonDeleted      = "dropboxsign: every callback lost, and a canceled request is deleted at the provider"
	reasonNoViews      = "adobesign: a view callback lost, and the API reports no views"
)

// beyondReach says why an envelope that did not converge could not have:
// the reason, or "" when some webhook or API could have told countersign.
func beyondReach(x sandbox.Expected, err error) string {
	provider := x.Provider
	switch {
	case provider == sandbox.KindDropboxSign && x.State == envelope.StateVoided && errors.Is(err, ErrNotFound):
		return reasonDeleted
	case provider == sandbox.KindStandardWebhooks || provider == sandbox.KindPandaDoc:
		return reasonNoAPI
	case (provider == sandbox.KindAdobeSign || provider == sandbox.KindESignAnyWhere) && errors.Is(err, ErrNotFound):
		return reasonNoChangeList
	case provider == sandbox.KindESignAnyWhere && errors.Is(err, ErrMismatch):
		// Its API answers the envelope's status only: whatever a lost
		// signer callback left behind (the signer, partially_signed)
		// cannot be read back.
		return reasonNoRecipients
	case provider == sandbox.KindAdobeSign && errors.Is(err, ErrMismatch) && strings.Contains(err.Error(), `want "delivered"`):
		return reasonNoViews
	}
	return ""
}

// unreached counts envelopes that did not converge though a webhook or
// the provider's API could have brought them there.
func (r *Result) unreached() int {
	beyond := 0
	for _, n := range r.BeyondReach {
		beyond += n
	}
	return r.NeedsReconciliation - r.Reconciled - beyond
}

// Print writes the convergence report.
func (r *Result) Print(w io.Writer) {
	rep := r.Report
	p := func(format string, a ...any) { _, _ = fmt.Fprintf(w, format+"\n", a...) }
	p("")
	p("countersign convergence report")
	p("==============================")
	p("envelopes              %d  (%s)", rep.Envelopes, r.kinds())
	p("callbacks              %d  (sent %d requests in %s)", rep.Callbacks, rep.Sent, r.FireTime.Round(time.Millisecond))
	p("  duplicated           %d", rep.Duplicated)
	p("  reordered            %d", rep.Reordered)
	p("  redelivered          %d  (lost acks %d, non-2xx %d, transport errors %d)", rep.Retried, rep.LostAcks, rep.Non2xx, rep.TransportErrors)
	p("  dropped              %d", rep.Dropped)
	p("  forged               %d  (401: %d, other: %d)", rep.Forged, rep.Rejected401, rep.ForgedNot401)
	p("  status codes         %s", statusCodes(rep.StatusCodes))
	p("ack latency            p50 %s  p99 %s  (%d acks)", ms(rep.AckLatencies.P50()), ms(rep.AckLatencies.P99()), len(rep.AckLatencies))
	p("converged              %d/%d  (webhook-complete, in %s)", r.Converged, r.WebhookComplete, r.ConvergeTime.Round(time.Millisecond))
	p("needs reconciliation   %d  (converged: %d)", r.NeedsReconciliation, r.Reconciled)
	beyond := 0
	for _, n := range r.BeyondReach {
		beyond += n
	}
	reachable := r.WebhookComplete + r.NeedsReconciliation - beyond
	p("converged              %d/%d  (every envelope any webhook or provider API could reveal)", r.Converged+r.Reconciled, reachable)
	for _, reason := range slices.Sorted(maps.Keys(r.BeyondReach)) {
		p("  beyond reach         %d  (%s)", r.BeyondReach[reason], reason)
	}
	p("reconciliation         %d envelopes recovered by polling (windows: %d checked, %d drift, %d events published)",
		r.RecoveredByPoll, r.ReconcileChecked, r.ReconcileDrift, r.ReconcilePublished)
	p("ledgers verified       %d/%d", r.Ledgers-len(r.Unsound), r.Ledgers)
	p("entries from provider API  %d", r.FromProviderAPI)
	p("exports                %d/%d  (completed envelopes of providers with an API, manifests checked in the object store, in %s)", r.Exported, r.ExportsDue, r.ExportTime.Round(time.Millisecond))
	p("DLQ entries            %d", r.DLQ)
	for i, err := range r.ExportProblems {
		if i == maxListed {
			p("  … and %d more export problems", len(r.ExportProblems)-maxListed)
			break
		}
		p("  export: %v", err)
	}
	keys := make([]string, 0, len(r.Pending))
	for k := range r.Pending {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for i, k := range keys {
		if i == maxListed {
			p("  … and %d more not converged", len(keys)-maxListed)
			break
		}
		p("  not converged: %s: %v", k, r.Pending[k])
	}
	keys = keys[:0]
	for k := range r.Unreached {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for i, k := range keys {
		if i == maxListed {
			p("  … and %d more reachable but not converged", len(keys)-maxListed)
			break
		}
		p("  reachable, not converged: %s: %v", k, r.Unreached[k])
	}
	for i, err := range r.Unsound {
		if i == maxListed {
			p("  … and %d more unsound ledgers", len(r.Unsound)-maxListed)
			break
		}
		p("  unsound ledger: %v", err)
	}
	if r.Notify != nil {
		r.Notify.print(p)
	}
	if err := r.Err(); err != nil {
		p("RESULT                 FAIL: %v", err)
	} else {
		p("RESULT                 OK")
	}
}

func (r *Result) kinds() string {
	s := ""
	for _, k := range sandbox.Kinds {
		if n := r.PerKind[k]; n > 0 {
			if s != "" {
				s += ", "
			}
			s += fmt.Sprintf("%s %d", k, n)
		}
	}
	return s
}

func statusCodes(m map[int]int) string {
	codes := make([]int, 0, len(m))
	for c := range m {
		codes = append(codes, c)
	}
	slices.Sort(codes)
	s := ""
	for _, c := range codes {
		if s != "" {
			s += " "
		}
		s += fmt.Sprintf("%d×%d", c, m[c])
	}
	if s == "" {
		return "none"
	}
	return s
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1fms", float64(d.Microseconds())/1000) }
