package sandbox

import (
	"context"
	"fmt"
	"math/rand"
	"time"
)

// Continue appends steps to an envelope Fire registered and delivers the
// callbacks of those steps alone, with the configured faults: the
// provider's later happenings, for a scenario that must see what
// countersign did in between (a reminder, then the signature). It must
// not run while Fire or Continue is delivering the same envelope. An
// envelope Fire did not register returns an error wrapping ErrConfig.
func (s *Sandbox) Continue(ctx context.Context, e *Envelope, steps ...Step) (Report, error) {
	rep := Report{Envelopes: 1, StatusCodes: map[int]int{}}
	s.mu.Lock()
	t := s.envs[e.Key()]
	if t == nil || t.env != e {
		s.mu.Unlock()
		return rep, fmt.Errorf("%w: envelope %s was not fired", ErrConfig, e.Key())
	}
	from := len(e.Script)
	e.Script = append(e.Script, steps...)
	t.stored = append(t.stored, make([]bool, len(steps))...)
	s.mu.Unlock()

	p := s.plan(rand.New(rand.NewSource(s.cfg.Seed+int64(from))), e)
	keep := p.msgs[:0:0]
	var drop, dup []bool
	var forge []*message
	var delay []time.Duration
	for i, m := range p.msgs {
		if m.step >= from {
			keep = append(keep, m)
			drop, dup, forge, delay = append(drop, p.drop[i]), append(dup, p.dup[i]), append(forge, p.forge[i]), append(delay, p.delay[i])
		}
	}
	p.msgs, p.drop, p.dup, p.forge, p.delay, p.reordered = keep, drop, dup, forge, delay, 0
	r, err := s.run(ctx, p, time.Now())
	rep.add(r)
	return rep, err
}
