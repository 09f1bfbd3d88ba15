package chaos

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/countersign/countersign/shared/bus"
	"github.com/countersign/countersign/tests/sandbox"
)

// maxFindingsPerKind bounds how many envelopes are named in the findings.
const maxFindingsPerKind = 10

// converge polls the admin API until every envelope passes CheckEnvelope
// or timeout passes, reviving crashed services meanwhile, and adds the
// figures of the last check of each envelope to res.
func converge(r *rig, m *Monkey, truth map[string]sandbox.Expected, sets EventSets, timeout time.Duration,
	res *Results, finding func(string, ...any)) {
	pending := map[string]bool{}
	for k, x := range truth {
		pending[k] = true
		if x.WebhookComplete {
			res.WebhookComplete++
		}
	}
	res.Excluded = len(truth) - res.WebhookComplete
	for k := range sets {
		if _, ok := truth[k]; !ok {
			finding("events accepted for envelope %s, which the sandbox never sent", k)
		}
	}
	verdicts := map[string]Verdict{}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	err := waitFor(ctx, 500*time.Millisecond, func() error {
		m.Revive()
		for k := range pending {
			x := truth[k]
			v := CheckEnvelope(r.admin, x, x.WebhookComplete, sets[k])
			verdicts[k] = v
			if v.OK() {
				delete(pending, k)
			}
		}
		if len(pending) > 0 {
			return fmt.Errorf("%d envelopes not converged", len(pending))
		}
		return nil
	})
	if err != nil {
		finding("%v", err)
	}
	keys := make([]string, 0, len(verdicts))
	for k := range verdicts {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	named := 0
	for _, k := range keys {
		v := verdicts[k]
		res.Lost += v.Lost
		res.Duplicated += v.Duplicated
		res.Unexpected += v.Unexpected
		res.LedgerEntries += v.Entries
		for _, p := range v.Problems {
			switch {
			case strings.HasPrefix(p, "state "):
				res.StateMismatches++
			case strings.HasPrefix(p, "ledger chain"):
				res.UnverifiedChains++
			}
		}
		if !v.OK() && named < maxFindingsPerKind {
			named++
			finding("envelope %s (truth %s, complete %v): %s", k, truth[k].State, truth[k].WebhookComplete, strings.Join(v.Problems, "; "))
		}
	}
}

// checkDLQ waits for the planted poison message in the DLQ and reports
// every other dead letter.
func checkDLQ(r *rig, poisonSeq uint64, res *Results, finding func(string, ...any)) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var letters []bus.DeadLetter
	err := waitFor(ctx, 250*time.Millisecond, func() error {
		var err error
		if letters, err = deadLetters(ctx, r.js); err != nil {
			return err
		}
		for _, dl := range letters {
			if dl.Stream == bus.StreamRaw && dl.StreamSeq == poisonSeq {
				return nil
			}
		}
		return errors.New("the planted poison message is not in the DLQ")
	})
	if err != nil {
		finding("%v", err)
	}
	res.DLQ = len(letters)
	for _, dl := range letters {
		if dl.Stream == bus.StreamRaw && dl.StreamSeq == poisonSeq {
			continue
		}
		finding("unplanted dead letter from %s: %s %d (%s, %d attempts): %s",
			dl.Service, dl.Stream, dl.StreamSeq, dl.ErrorClass, dl.Attempts, dl.Error)
	}
}

// deadLetters reads every entry of the DLQ stream.
func deadLetters(ctx context.Context, js jetstream.JetStream) ([]bus.DeadLetter, error) {
	stream, err := js.Stream(ctx, bus.StreamDLQ)
	if err != nil {
		return nil, fmt.Errorf("chaos: stream %s: %w", bus.StreamDLQ, err)
	}
	var out []bus.DeadLetter
	for seq := uint64(1); ; {
		msg, err := stream.GetMsg(ctx, seq, jetstream.WithGetMsgSubject(">"))
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("chaos: DLQ at %d: %w", seq, err)
		}
		var dl bus.DeadLetter
		if err := json.Unmarshal(msg.Data, &dl); err != nil {
			return nil, fmt.Errorf("chaos: DLQ entry %d: %w", msg.Sequence, err)
		}
		out = append(out, dl)
		seq = msg.Sequence + 1
	}
}

// checkLedgerStream compares the ENVELOPES stream's message count with
// the ledgers read through the admin API: an entry published twice under
// the same seq would show as a surplus here.
func checkLedgerStream(r *rig, res *Results, finding func(string, ...any)) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	stream, err := r.js.Stream(ctx, bus.StreamEnvelopes)
	if err != nil {
		finding("stream %s: %v", bus.StreamEnvelopes, err)
		return
	}
	info, err := stream.Info(ctx)
	if err != nil {
		finding("stream %s: %v", bus.StreamEnvelopes, err)
		return
	}
	if got := int(info.State.Msgs); got != res.LedgerEntries {
		finding("stream %s holds %d messages, the ledgers %d entries", bus.StreamEnvelopes, got, res.LedgerEntries)
	}
}

// errorLines returns the last n lines of the log at path that report an
// error, a warning or a panic.
func errorLines(path string, n int) string {
	f, err := os.Open(path)
	if err != nil {
		return err.Error()
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		l := sc.Text()
		if strings.Contains(l, `"level":"ERROR"`) || strings.Contains(l, `"level":"WARN"`) ||
			strings.Contains(l, "panic") || strings.HasPrefix(l, "###") {
			lines = append(lines, l)
		}
	}
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}
