package process

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/countersign/countersign/shared/bus"
	"github.com/countersign/countersign/shared/cli"
)

// stateConsumers counts STATE's consumers and those keeping their ack
// state in memory.
func stateConsumers(ctx context.Context, env *Env) (all, inMemory int, err error) {
	st, err := env.JS.Stream(ctx, bus.StreamState)
	if err != nil {
		return 0, 0, err
	}
	l := st.ListConsumers(ctx)
	for info := range l.Info() {
		all++
		if info.Config.MemoryStorage {
			inMemory++
		}
	}
	return all, inMemory, l.Err()
}

// TestEmbeddedRestartDeclaresStateConsumersAgain: the all-in-one keeps
// STATE's consumer state in memory; when the supervisor restarts the
// embedded server in place (JetStream turned off by a full disk), those
// consumers are gone with it, and the process declares them again —
// without that, statesync would wait for them forever.
func TestEmbeddedRestartDeclaresStateConsumersAgain(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "c.yaml")
	if err := os.WriteFile(path, []byte(minimalConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	s := cli.Settings{ConfigPath: path, DataDir: dir, LogLevel: "info", NATSListen: "127.0.0.1:-1"}
	env, err := Start(t.Context(), "test", s, Options{AllowEmbedded: true}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	defer env.Close()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	all, mem, err := stateConsumers(ctx, env)
	if err != nil || all == 0 || mem != all {
		t.Fatalf("before: %d STATE consumers, %d in memory, err %v; want all in memory", all, mem, err)
	}
	want := all
	if err := env.Embedded.ShutdownJetStream(); err != nil {
		t.Fatal(err)
	}
	var last error
	for {
		// Each look is bounded: a listing sent while the server restarts
		// gets no answer.
		lctx, lcancel := context.WithTimeout(ctx, 2*time.Second)
		all, mem, err := stateConsumers(lctx, env)
		lcancel()
		if err == nil && all == want && mem == want {
			return
		}
		last = fmt.Errorf("%d STATE consumers, %d in memory, err %v", all, mem, err)
		select {
		case <-ctx.Done():
			t.Fatalf("after the restart: %v; want %d in memory", last, want)
		case <-time.After(100 * time.Millisecond):
		}
	}
}
