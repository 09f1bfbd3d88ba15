package sandbox

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/countersign/countersign/shared/envelope"
)

// maxAnswer bounds how much of an answer body is read.
const maxAnswer = 64 << 10

// plan is what will happen to one envelope's callbacks, decided up front
// from the seed so that a run is reproducible whatever the scheduling.
type plan struct {
	env   *Envelope
	msgs  []*message // in sending order
	drop  []bool
	dup   []bool
	forge []*message // nil where no forgery follows
	delay []time.Duration
	// rng decides lost acks; only the envelope's worker uses it.
	rng       *rand.Rand
	reordered int
}

// Fire registers envs and delivers every envelope's callbacks to the
// target with the configured faults, envelopes in parallel and each
// envelope's callbacks one after another. It returns when all are done or
// ctx ends (then with ctx's error and the report so far). A target that is
// not configured returns an error wrapping ErrConfig.
func (s *Sandbox) Fire(ctx context.Context, envs []*Envelope) (Report, error) {
	rep := Report{Envelopes: len(envs), StatusCodes: map[int]int{}}
	if s.cfg.Target == "" {
		return rep, fmt.Errorf("%w: no target to fire at", ErrConfig)
	}
	if err := s.Register(envs); err != nil {
		return rep, err
	}
	rng := rand.New(rand.NewSource(s.cfg.Seed))
	plans := make([]*plan, len(envs))
	for i, e := range envs {
		plans[i] = s.plan(rng, e)
	}
	start := time.Now()
	jobs := make(chan *plan)
	var (
		mu       sync.Mutex
		firstErr error
		wg       sync.WaitGroup
	)
	for w := 0; w < s.cfg.Concurrency; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for p := range jobs {
				r, err := s.run(ctx, p, start)
				mu.Lock()
				rep.add(r)
				if err != nil && firstErr == nil {
					firstErr = err
				}
				mu.Unlock()
			}
		}()
	}
feed:
	for _, p := range plans {
		select {
		case jobs <- p:
		case <-ctx.Done():
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	if firstErr == nil {
		firstErr = ctx.Err()
	}
	return rep, firstErr
}

// plan decides the fate of e's callbacks.
func (s *Sandbox) plan(rng *rand.Rand, e *Envelope) *plan {
	p := &plan{env: e, rng: rand.New(rand.NewSource(rng.Int63()))}
	for i, st := range e.Script {
		m := &message{env: e, step: i, st: st, id: deliveryID(rng, e.Provider), rotation: rng.Intn(5) == 0}
		if eventName(e.Provider, st) != "" {
			p.msgs = append(p.msgs, m)
		}
	}
	if s.cfg.Reorder {
		inOrder := make([]int, len(p.msgs))
		for i, m := range p.msgs {
			inOrder[i] = m.step
		}
		rng.Shuffle(len(p.msgs), func(i, j int) { p.msgs[i], p.msgs[j] = p.msgs[j], p.msgs[i] })
		for i, m := range p.msgs {
			if m.step != inOrder[i] {
				p.reordered++
			}
		}
	}
	for range p.msgs {
		p.drop = append(p.drop, rng.Float64() < s.cfg.DropPct)
		p.dup = append(p.dup, rng.Float64() < s.cfg.DuplicatePct)
		var f *message
		if rng.Float64() < s.cfg.ForgedPct && len(e.Recipients) > 0 {
			last := e.Script[len(e.Script)-1].At
			f = &message{env: e, step: -1, forged: true, id: deliveryID(rng, e.Provider),
				st: Step{Type: envelope.TypeDeclined, Recipient: 0, At: last.Add(time.Second)}}
		}
		p.forge = append(p.forge, f)
		var d time.Duration
		if s.cfg.MaxDelay > 0 {
			d = time.Duration(rng.Int63n(int64(s.cfg.MaxDelay)))
		}
		p.delay = append(p.delay, d)
	}
	return p
}

// deliveryID returns a provider-style delivery id.
func deliveryID(rng *rand.Rand, kind string) string {
	switch kind {
	case KindStandardWebhooks:
		return "msg_" + randString(rng, alnum, 24)
	case KindAdobeSign:
		return guid(rng)
	default:
		return randString(rng, hexDigits, 24)
	}
}

// run delivers one envelope's callbacks.
func (s *Sandbox) run(ctx context.Context, p *plan, start time.Time) (Report, error) {
	rep := Report{Callbacks: len(p.msgs), Reordered: p.reordered, StatusCodes: map[int]int{}}
	defer s.markHappened(p.env, len(p.env.Script)-1)
	for i, m := range p.msgs {
		// The provider's state moves before it notifies.
		s.markHappened(p.env, m.step)
		if err := pause(ctx, p.delay[i]); err != nil {
			return rep, err
		}
		switch {
		case s.inOutage(time.Since(start)):
			rep.Dropped++
			rep.OutageDropped++
		case p.drop[i]:
			rep.Dropped++
		default:
			last, err := s.deliver(ctx, p, m, &rep)
			if err != nil {
				return rep, err
			}
			if p.dup[i] {
				rep.Duplicated++
				rep.Sent++
				if resp, body, err := s.send(ctx, last); err == nil && s.acknowledged(p.env.Provider, resp, body) {
					s.markStored(p.env, m.step)
				}
			}
		}
		if f := p.forge[i]; f != nil {
			if err := s.forge(ctx, f, &rep); err != nil {
				return rep, err
			}
		}
	}
	return rep, nil
}

// deliver sends m until the provider sees it acknowledged or gives up,
// and returns the last attempt. Only a build error or ctx's end is an
// error.
func (s *Sandbox) deliver(ctx context.Context, p *plan, m *message, rep *Report) (wire, error) {
	var (
		w          wire
		retryAfter time.Duration
	)
	for attempt := 0; attempt <= s.cfg.Redeliveries; attempt++ {
		if attempt > 0 {
			rep.Retried++
			if err := pause(ctx, s.backoff(attempt, retryAfter)); err != nil {
				return w, err
			}
		}
		var err error
		if w, err = s.build(m, attempt, time.Now()); err != nil {
			return w, err
		}
		rep.Sent++
		t0 := time.Now()
		resp, body, err := s.send(ctx, w)
		if err != nil {
			if ctx.Err() != nil {
				return w, ctx.Err()
			}
			rep.TransportErrors++
			continue
		}
		rep.StatusCodes[resp.StatusCode]++
		retryAfter = parseRetryAfter(resp.Header.Get("Retry-After"))
		if resp.StatusCode < 200 || resp.StatusCode > 299 {
			rep.Non2xx++
			continue
		}
		if !s.acknowledged(m.env.Provider, resp, body) {
			rep.BadAck++
			continue
		}
		rep.AckLatencies = append(rep.AckLatencies, time.Since(t0))
		s.markStored(m.env, m.step)
		if attempt < s.cfg.Redeliveries && p.rng.Float64() < s.cfg.LostAckPct {
			rep.LostAcks++
			continue
		}
		rep.Delivered++
		return w, nil
	}
	rep.Failed++
	return w, nil
}

// forge sends one forged delivery, which must be answered 401.
func (s *Sandbox) forge(ctx context.Context, f *message, rep *Report) error {
	w, err := s.build(f, 0, time.Now())
	if err != nil {
		return err
	}
	rep.Forged++
	resp, _, err := s.send(ctx, w)
	switch {
	case err != nil && ctx.Err() != nil:
		return ctx.Err()
	case err == nil && resp.StatusCode == http.StatusUnauthorized:
		rep.Rejected401++
	default:
		rep.ForgedNot401++
	}
	return nil
}

// send makes one HTTP attempt and reads (a bounded part of) the answer.
func (s *Sandbox) send(ctx context.Context, w wire) (*http.Response, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, w.method, w.url, bytes.NewReader(w.body))
	if err != nil {
		return nil, nil, fmt.Errorf("sandbox: request: %w", err)
	}
	for k, v := range w.header {
		req.Header[k] = v
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return nil, nil, fmt.Errorf("sandbox: %s %s: %w", w.method, w.url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err != nil {
		return nil, nil, fmt.Errorf("sandbox: reading answer: %w", err)
	}
	// Drain the rest so the connection is reused.
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp, body, nil
}

// backoff is the pause before attempt (≥ 1): doubling from RetryBase,
// at least Retry-After, never over RetryMax.
func (s *Sandbox) backoff(attempt int, retryAfter time.Duration) time.Duration {
	d := s.cfg.RetryBase << min(attempt-1, 20)
	d = max(d, retryAfter)
	return min(d, s.cfg.RetryMax)
}

func (s *Sandbox) inOutage(since time.Duration) bool {
	for _, w := range s.cfg.OutageWindows {
		if since >= w.Start && since < w.End {
			return true
		}
	}
	return false
}

func parseRetryAfter(v string) time.Duration {
	if n, err := strconv.Atoi(v); err == nil && n > 0 {
		return time.Duration(n) * time.Second
	}
	return 0
}

// pause waits d or until ctx ends.
func pause(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
