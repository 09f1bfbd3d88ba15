package chaos

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
)

// Binaries are the programs the suite runs as OS processes.
type Binaries struct {
	Ingress, Verifier, Statesync, Reconciler, Admin, NATSNode string
	// CrashWorker dies on every message it takes (split deployment tests).
	CrashWorker string
}

// packages maps each binary to its package, relative to the workspace root.
var packages = []struct {
	name, pkg string
	field     func(*Binaries) *string
}{
	{"ingress", "./services/ingress/cmd/ingress", func(b *Binaries) *string { return &b.Ingress }},
	{"verifier", "./services/verifier/cmd/verifier", func(b *Binaries) *string { return &b.Verifier }},
	{"statesync", "./services/statesync/cmd/statesync", func(b *Binaries) *string { return &b.Statesync }},
	{"reconciler", "./services/reconciler/cmd/reconciler", func(b *Binaries) *string { return &b.Reconciler }},
	{"admin", "./services/admin/cmd/admin", func(b *Binaries) *string { return &b.Admin }},
	{"crashworker", "./tests/cmd/crashworker", func(b *Binaries) *string { return &b.CrashWorker }},
	{"natsnode", "./tests/cmd/natsnode", func(b *Binaries) *string { return &b.NATSNode }},
}

// Build compiles the standalone services and natsnode into dir with one
// `go build` (the build cache makes it cheap after the first time). The
// workspace root is found through `go env GOWORK`, so the suite runs from
// any directory inside the repository. Errors wrap ErrBuild.
func Build(dir string) (Binaries, error) {
	var b Binaries
	out, err := exec.Command("go", "env", "GOWORK").Output()
	if err != nil {
		return b, fmt.Errorf("%w: go env GOWORK: %w", ErrBuild, err)
	}
	work := strings.TrimSpace(string(out))
	if work == "" || work == "off" {
		return b, fmt.Errorf("%w: not inside the countersign workspace (no go.work)", ErrBuild)
	}
	args := []string{"build", "-o", dir + string(filepath.Separator)}
	for _, p := range packages {
		args = append(args, p.pkg)
		*p.field(&b) = filepath.Join(dir, p.name)
	}
	cmd := exec.Command("go", args...)
	cmd.Dir = filepath.Dir(work)
	if out, err := cmd.CombinedOutput(); err != nil {
		return b, fmt.Errorf("%w: %w\n%s", ErrBuild, err, out)
	}
	return b, nil
}
