package bench

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// MaxRequests bounds any one load run in count, whatever its duration.
const MaxRequests = 5_000_000

// Target is where a load run sends and what.
type Target struct {
	// URL is the full ingress URL, e.g. http://127.0.0.1:8080/v1/webhooks/t/docusign.
	URL    string
	Signer Signer
	// IDs names the envelope of the i-th delivery of the run.
	IDs func(i uint64) string
	// OnAck, when set, is called on every 2xx with the envelope id and the
	// time the answer was seen.
	OnAck func(envelopeID string, at time.Time)
}

// LoadResult is what one load run measured.
type LoadResult struct {
	Name string `json:"name"`
	// Mode is "closed" (saturation) or "open" (constant rate).
	Mode        string  `json:"mode"`
	Connections int     `json:"connections"`
	TargetRate  float64 `json:"target_rate,omitempty"`
	Seconds     float64 `json:"seconds"`
	Sent        uint64  `json:"sent"`
	Accepted    uint64  `json:"accepted"`
	Rejected    uint64  `json:"rejected"`
	Errors      uint64  `json:"errors"`
	// Missed counts open-loop sends still unsent when the run's grace
	// period ended: the generator (or server) could not keep the rate.
	Missed uint64            `json:"missed,omitempty"`
	Status map[string]uint64 `json:"status"`
	// Rate is accepted deliveries per second over the run.
	Rate float64 `json:"rate"`
	// Latency is of accepted deliveries: from send (closed loop) or from
	// the scheduled send time (open loop, so queueing counts).
	Latency    Percentiles `json:"latency"`
	FirstError string      `json:"first_error,omitempty"`
}

// NewClient returns a keep-alive client holding at most conns connections
// to one host.
func NewClient(conns int) *http.Client {
	return &http.Client{
		Timeout: 30 * time.Second,
		Transport: &http.Transport{
			DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			MaxIdleConns:        conns,
			MaxIdleConnsPerHost: conns,
			MaxConnsPerHost:     conns,
			IdleConnTimeout:     90 * time.Second,
			DisableCompression:  true,
		},
	}
}

// tally is one worker's counts, merged after the run so that workers
// never contend on shared counters.
type tally struct {
	sent, accepted, rejected, errors uint64
	status                           map[int]uint64
	latency                          []time.Duration
	firstErr                         string
	last                             time.Time
}

// send delivers the i-th delivery and records the answer; latency counts
// from since.
func (w *tally) send(ctx context.Context, c *http.Client, t Target, i uint64, since time.Time) {
	id := t.IDs(i)
	d := t.Signer.Sign(id, time.Now())
	w.sent++
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.URL, bytes.NewReader(d.Body))
	if err != nil {
		w.fail(err)
		return
	}
	req.Header = d.Header
	resp, err := c.Do(req)
	done := time.Now()
	w.last = done
	if err != nil {
		w.fail(err)
		return
	}
	// Draining the body lets the connection go back to the pool.
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	w.status[resp.StatusCode]++
	if resp.StatusCode/100 != 2 {
		w.rejected++
		return
	}
	w.accepted++
	w.latency = append(w.latency, done.Sub(since))
	if t.OnAck != nil {
		t.OnAck(id, done)
	}
}

func (w *tally) fail(err error) {
	w.errors++
	if w.firstErr == "" {
		w.firstErr = err.Error()
	}
}

// Saturate runs a closed loop: conns workers, each with its own keep-alive
// connection, send back to back for d (or until ctx ends, or MaxRequests).
func Saturate(ctx context.Context, c *http.Client, t Target, name string, conns int, d time.Duration) LoadResult {
	var next atomic.Uint64
	start := time.Now()
	deadline := start.Add(d)
	tallies := run(conns, func(w *tally) {
		for ctx.Err() == nil && time.Now().Before(deadline) {
			i := next.Add(1) - 1
			if i >= MaxRequests {
				return
			}
			w.send(ctx, c, t, i, time.Now())
		}
	})
	r := merge(tallies, start)
	r.Name, r.Mode, r.Connections = name, "closed", conns
	return r
}

// OpenLoop sends at a constant rate for d: the i-th delivery is scheduled
// at start+i/rate whatever happened to earlier ones, and its latency is
// measured from that scheduled time, so a stalled server shows as latency
// rather than as a slower send rate (no coordinated omission). Up to
// workers deliveries are in flight; sends not started within a grace
// period after d are counted as missed.
func OpenLoop(ctx context.Context, c *http.Client, t Target, name string, rate float64, d time.Duration, workers int) LoadResult {
	total := min(uint64(rate*d.Seconds()), MaxRequests)
	interval := time.Duration(float64(time.Second) / rate)
	var next atomic.Uint64
	start := time.Now()
	giveUp := start.Add(d + 2*time.Second)
	tallies := run(workers, func(w *tally) {
		for ctx.Err() == nil {
			i := next.Add(1) - 1
			if i >= total {
				return
			}
			at := start.Add(time.Duration(i) * interval)
			if at.After(giveUp) || time.Now().After(giveUp) {
				return
			}
			if wait := time.Until(at); wait > 0 {
				select {
				case <-time.After(wait):
				case <-ctx.Done():
					return
				}
			}
			w.send(ctx, c, t, i, at)
		}
	})
	r := merge(tallies, start)
	r.Name, r.Mode, r.Connections, r.TargetRate = name, "open", workers, rate
	if r.Sent < total {
		r.Missed = total - r.Sent
	}
	return r
}

// run starts n workers over body and returns their tallies once all end.
func run(n int, body func(w *tally)) []*tally {
	tallies := make([]*tally, n)
	var wg sync.WaitGroup
	for k := range tallies {
		w := &tally{status: map[int]uint64{}}
		tallies[k] = w
		wg.Go(func() { body(w) })
	}
	wg.Wait()
	return tallies
}

func merge(tallies []*tally, start time.Time) LoadResult {
	r := LoadResult{Status: map[string]uint64{}}
	var all []time.Duration
	end := start
	for _, w := range tallies {
		r.Sent += w.sent
		r.Accepted += w.accepted
		r.Rejected += w.rejected
		r.Errors += w.errors
		for code, n := range w.status {
			r.Status[strconv.Itoa(code)] += n
		}
		all = append(all, w.latency...)
		if r.FirstError == "" {
			r.FirstError = w.firstErr
		}
		if w.last.After(end) {
			end = w.last
		}
	}
	elapsed := end.Sub(start)
	r.Seconds = round3(elapsed.Seconds())
	if elapsed > 0 {
		r.Rate = round3(float64(r.Accepted) / elapsed.Seconds())
	}
	r.Latency = Summarise(all)
	return r
}

func round3(f float64) float64 { return float64(int64(f*1000+0.5)) / 1000 }
