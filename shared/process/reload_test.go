package process

import (
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/countersign/countersign/shared/cli"
	"github.com/countersign/countersign/shared/config"
	"github.com/countersign/countersign/shared/meshtest"
)

// SIGHUP reloads the file; a hook that cannot build from the new file
// keeps every service on the old one (no hook commits).
func TestSIGHUPReloads(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.yaml")
	if err := os.WriteFile(path, []byte(minimalConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	env := &Env{Settings: cli.Settings{ConfigPath: path}, File: f, Logger: slog.New(slog.DiscardHandler)}
	var committed []string
	env.OnReload(func(f *config.File) (func(), error) {
		return func() { committed = append(committed, "a:"+f.Admin.Tokens[0].Token.Value()) }, nil
	})
	refuse := false
	env.OnReload(func(*config.File) (func(), error) {
		if refuse {
			return nil, errors.New("cannot build")
		}
		return func() {}, nil
	})
	env.watchReloads(t.Context())
	if err := os.WriteFile(path, []byte("admin:\n  tokens: [\"u\"]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	meshtest.CheckFor(t, 5*time.Second, 5*time.Millisecond, func() error {
		if env.Generation() != 2 {
			return errors.New("not reloaded yet")
		}
		return nil
	})
	if env.Config().Admin.Tokens[0].Token.Value() != "u" {
		t.Fatalf("Config() is not the reloaded file")
	}
	refuse = true
	if err := env.Reload(t.Context()); !errors.Is(err, ErrReload) {
		t.Fatalf("Reload with a refusing hook = %v, want ErrReload", err)
	}
	if len(committed) != 1 || committed[0] != "a:u" || env.Generation() != 2 {
		t.Fatalf("committed %v, generation %d: a refused reload must commit nothing", committed, env.Generation())
	}
}
