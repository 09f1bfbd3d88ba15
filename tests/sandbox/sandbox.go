package sandbox

import (
	"fmt"
	"math/rand"
	"net/http"
	"sync"
	"time"
)

// Sandbox plays the providers: it delivers callbacks (Fire), serves their
// APIs (APIHandler) and keeps the truth (Truth). It is safe for concurrent
// use; the API may be served while Fire runs, and then shows only what has
// happened so far.
type Sandbox struct {
	cfg    Config
	client *http.Client

	mu     sync.Mutex
	envs   map[string]*tracked            // by Envelope.Key
	byID   map[string]map[string]*tracked // kind → provider id
	order  []*tracked                     // registration order (API listings)
	apiRng *rand.Rand
	// actions are the reminder and replace calls received (api_actions.go).
	actions []Action
}

// tracked is the provider's record of one envelope.
type tracked struct {
	env *Envelope
	// happened counts Script steps that have happened at the provider.
	happened int
	// stored marks steps whose callback countersign answered with a 2xx.
	stored  []bool
	deleted bool
	// purges counts purge calls; purged hides the documents (documents.go).
	purges int
	purged bool
	// fileCalls counts Dropbox Sign files calls (DropboxFilesNotReady).
	fileCalls int
}

// New returns a sandbox for cfg (defaults applied); errors wrap ErrConfig.
func New(cfg Config) (*Sandbox, error) {
	cfg = cfg.withDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	// Keep-alive: providers reuse connections, and so must a load run.
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns = 2 * cfg.Concurrency
	tr.MaxIdleConnsPerHost = 2 * cfg.Concurrency
	return &Sandbox{
		cfg:    cfg,
		client: &http.Client{Transport: tr, Timeout: cfg.Timeout},
		envs:   map[string]*tracked{},
		byID:   map[string]map[string]*tracked{},
		apiRng: rand.New(rand.NewSource(cfg.Seed ^ 0x5a5a)),
	}, nil
}

// Close releases idle connections.
func (s *Sandbox) Close() { s.client.CloseIdleConnections() }

// Register makes envs known to the sandbox with nothing happened yet (the
// provider APIs answer 404 for them until their first step). Envelopes
// already registered are kept as they are. An unknown provider kind
// returns an error wrapping ErrUnknownKind.
func (s *Sandbox) Register(envs []*Envelope) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, e := range envs {
		if !validKind(e.Provider) {
			return fmt.Errorf("%w: %q (envelope %s)", ErrUnknownKind, e.Provider, e.ID)
		}
		if _, ok := s.envs[e.Key()]; ok {
			continue
		}
		t := &tracked{env: e, stored: make([]bool, len(e.Script))}
		s.envs[e.Key()] = t
		if s.byID[e.Provider] == nil {
			s.byID[e.Provider] = map[string]*tracked{}
		}
		s.byID[e.Provider][e.ID] = t
		s.order = append(s.order, t)
	}
	return nil
}

// Settle registers envs and lets every step happen without sending any
// callback: for serving the API alone.
func (s *Sandbox) Settle(envs []*Envelope) error {
	if err := s.Register(envs); err != nil {
		return err
	}
	for _, e := range envs {
		s.markHappened(e, len(e.Script)-1)
	}
	return nil
}

// markHappened records that steps 0..i of e have happened, and any silent
// steps (no callback) right after them.
func (s *Sandbox) markHappened(e *Envelope, i int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.envs[e.Key()]
	if t == nil || i+1 <= t.happened {
		return
	}
	t.happened = i + 1
	for t.happened < len(e.Script) && eventName(e.Provider, e.Script[t.happened]) == "" {
		t.happened++
	}
}

func (s *Sandbox) markStored(e *Envelope, i int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if t := s.envs[e.Key()]; t != nil && i >= 0 && i < len(t.stored) {
		t.stored[i] = true
	}
}

// Truth returns, for every registered envelope (key tenant/provider/id),
// what countersign must hold given the steps that have happened so far.
func (s *Sandbox) Truth() map[string]Expected {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]Expected, len(s.envs))
	for k, t := range s.envs {
		out[k] = t.expected()
	}
	return out
}

// expected folds t; the caller holds the lock.
func (t *tracked) expected() Expected {
	state, rs := t.env.Fold(t.happened)
	complete := true
	for i := 0; i < t.happened; i++ {
		complete = complete && t.stored[i]
	}
	x := Expected{
		Tenant: t.env.Tenant, Provider: t.env.Provider, EnvelopeID: t.env.ID,
		State: state, Recipients: rs, Happened: t.happened, WebhookComplete: complete,
		LastChange: t.lastChange(),
	}
	return x
}

// lastChange is the time of t's last happened step; the caller holds the
// lock.
func (t *tracked) lastChange() time.Time {
	if t.happened == 0 {
		return time.Time{}
	}
	return t.env.Script[t.happened-1].At
}
