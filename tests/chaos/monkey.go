package chaos

import (
	"context"
	"fmt"
	"math/rand"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/countersign/countersign/shared/meshtest"
)

// Monkey does the damage, one action at a time, always from the test's
// own goroutine (Redis restarts go through the harness, which may fail the
// test). Each action is one of: kill -9 a random service process and start
// it again; restart Redis (its locks are gone, as after a crash); kill -9 a
// NATS node, which comes back on a later action once NodeDown has passed.
type Monkey struct {
	Services []*Proc
	Cluster  *Cluster
	Redis    *meshtest.Redis
	JS       jetstream.JetStream
	Rng      *rand.Rand
	// RedisEvery restarts Redis on every n-th action (0: never).
	RedisEvery int
	// NATSKills is how many times a NATS node is killed; the first on
	// action 3, the next ones NATSEvery actions apart.
	NATSKills, NATSEvery int
	// NodeDown is how long a killed node stays down.
	NodeDown time.Duration
	// Logf reports each action.
	Logf func(format string, args ...any)

	actions       int
	downNode      int // -1: none
	downSince     time.Time
	nextNATS      int
	ServiceKills  int
	RedisRestarts int
	NATSDowns     int
	NATSRestarts  int
	Crashes       int
	// Errors are actions that could not be carried out.
	Errors []string
}

// init fills in the schedule.
func (m *Monkey) init() {
	if m.nextNATS == 0 {
		m.downNode, m.nextNATS = -1, 3
	}
}

// Act performs the next action.
func (m *Monkey) Act(t meshtest.TB) {
	t.Helper()
	m.init()
	m.Revive()
	m.actions++
	switch {
	case m.downNode >= 0 && time.Since(m.downSince) >= m.NodeDown:
		m.nodeUp()
	case m.RedisEvery > 0 && m.actions%m.RedisEvery == 0:
		m.Logf("chaos %d: restart redis", m.actions)
		m.Redis.Restart(t)
		m.RedisRestarts++
	case m.downNode < 0 && m.NATSDowns < m.NATSKills && m.actions >= m.nextNATS:
		m.nodeDown()
	default:
		p := m.Services[m.Rng.Intn(len(m.Services))]
		m.Logf("chaos %d: kill -9 %s", m.actions, p.Name)
		if err := p.Bounce(); err != nil {
			m.Errors = append(m.Errors, err.Error())
			return
		}
		m.ServiceKills++
	}
}

// nodeDown kills a random NATS node, once every stream is fully
// replicated: killing a node while another is still catching up could
// leave a stream below quorum, which is two failures, not one.
func (m *Monkey) nodeDown() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := WaitCurrent(ctx, m.JS); err != nil {
		m.Logf("chaos %d: NATS kill postponed, streams not current: %v", m.actions, err)
		m.nextNATS = m.actions + 2
		return
	}
	i := m.Rng.Intn(len(m.Cluster.Nodes))
	p := m.Cluster.Nodes[i]
	m.Logf("chaos %d: kill -9 %s", m.actions, p.Name)
	if err := p.Kill(); err != nil {
		m.Errors = append(m.Errors, err.Error())
		return
	}
	m.downNode, m.downSince = i, time.Now()
	m.NATSDowns++
	m.nextNATS = m.actions + m.NATSEvery
}

// nodeUp starts the killed node again on its store and waits until it
// takes clients.
func (m *Monkey) nodeUp() {
	p := m.Cluster.Nodes[m.downNode]
	m.Logf("chaos %d: start %s again after %s", m.actions, p.Name, time.Since(m.downSince).Round(time.Millisecond))
	if err := p.Start(); err != nil {
		m.Errors = append(m.Errors, err.Error())
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := m.Cluster.WaitNode(ctx, m.downNode); err != nil {
		m.Errors = append(m.Errors, fmt.Sprintf("%s did not come back: %v", p.Name, err))
	}
	m.downNode = -1
	m.NATSRestarts++
}

// Revive restarts every service process that exited by itself (a crash:
// it is counted and its log keeps the reason).
func (m *Monkey) Revive() {
	for _, p := range m.Services {
		crashed, err := p.Revive()
		if crashed {
			m.Crashes++
			m.Logf("chaos: %s exited by itself, started again (see %s)", p.Name, p.LogPath())
		}
		if err != nil {
			m.Errors = append(m.Errors, err.Error())
		}
	}
}

// Heal ends the chaos: a node still down comes back, crashed services are
// started again, and it waits until every stream is fully replicated.
func (m *Monkey) Heal(ctx context.Context) error {
	m.init()
	if m.downNode >= 0 {
		m.nodeUp()
	}
	m.Revive()
	return WaitCurrent(ctx, m.JS)
}
