// Package release tests that countersign's modules install as a user
// outside the repository installs them: released with scripts/release.sh,
// served by a file-based GOPROXY, fetched with plain `go get`.
package release

import (
	"archive/zip"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const modulePrefix = "github.com/countersign/countersign"

// outsideTest is the whole test of the outside module: it embeds the mesh
// and subscribes to the ledger, as the README's example does.
const outsideTest = `package outside

import (
	"context"
	"testing"

	"github.com/countersign/countersign/services/countersign/app"
	"github.com/countersign/countersign/shared/meshtest/mesh"
	"github.com/countersign/countersign/shared/subscriber"
)

func TestEmbedAndSubscribe(t *testing.T) {
	m := mesh.Start(t, mesh.Options{Build: app.Build, KVLocks: true})
	sub, err := subscriber.Subscribe(t.Context(), m.NATS.JS, subscriber.Options{Durable: "outside", WaitForStream: true},
		func(context.Context, *subscriber.Message) error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	sub.Stop()
}
`

// TestModulesInstallFromAProxy releases a copy of the working tree, serves
// every tagged module from a file GOPROXY and builds and runs a module of
// its own that go-gets the subscriber and the harness (GOWORK=off, no
// replace). Third-party modules come from the local module cache, so the
// test needs no network.
func TestModulesInstallFromAProxy(t *testing.T) {
	root := repoRoot(t)
	repo := t.TempDir()
	copyTracked(t, root, repo)
	run(t, repo, nil, "git", "init", "-q")
	run(t, repo, nil, "git", "add", "-A")
	gitEnv := []string{"GIT_AUTHOR_NAME=release-test", "GIT_AUTHOR_EMAIL=release@test", "GIT_COMMITTER_NAME=release-test", "GIT_COMMITTER_EMAIL=release@test"}
	run(t, repo, gitEnv, "git", "commit", "-q", "-m", "snapshot")
	// A fresh version each run: the module cache never holds an older
	// build of the same version.
	version := fmt.Sprintf("v0.0.%d", time.Now().Unix())
	run(t, repo, gitEnv, "./scripts/release.sh", version)

	proxy := t.TempDir()
	tags := strings.Fields(run(t, repo, nil, "git", "tag", "--list", "*/"+version))
	if len(tags) < 3 {
		t.Fatalf("release tagged %v", tags)
	}
	for _, tag := range tags {
		publish(t, repo, proxy, strings.TrimSuffix(tag, "/"+version), version)
	}

	outside := t.TempDir()
	write(t, filepath.Join(outside, "go.mod"), "module example.com/outside\n\ngo 1.26.0\n")
	write(t, filepath.Join(outside, "outside_test.go"), outsideTest)
	cache := strings.TrimSpace(run(t, root, nil, "go", "env", "GOMODCACHE"))
	env := []string{
		"GOWORK=off", "GOFLAGS=-mod=mod", "GOSUMDB=off", "GONOSUMDB=" + modulePrefix,
		"GOPROXY=file://" + filepath.ToSlash(proxy) + ",file://" + filepath.ToSlash(filepath.Join(cache, "cache", "download")) + ",off",
	}
	run(t, outside, env, "go", "get", modulePrefix+"/shared@"+version, modulePrefix+"/services/countersign@"+version)
	mod, err := os.ReadFile(filepath.Join(outside, "go.mod"))
	if err != nil || !strings.Contains(string(mod), modulePrefix+"/shared "+version) || strings.Contains(string(mod), "replace") {
		t.Fatalf("outside go.mod (%v):\n%s", err, mod)
	}
	run(t, outside, env, "go", "test", "-count=1", "./...")
}

// publish writes module dir at version into the file proxy: list, .info,
// .mod and .zip (files of the module, not of modules nested in it).
func publish(t *testing.T, repo, proxy, dir, version string) {
	t.Helper()
	modPath := modulePrefix + "/" + dir
	tag := dir + "/" + version
	files := strings.Fields(run(t, repo, nil, "git", "ls-tree", "-r", "--name-only", tag, "--", dir+"/"))
	nested := map[string]bool{}
	for _, f := range files {
		if path.Base(f) == "go.mod" && path.Dir(f) != dir {
			nested[path.Dir(f)+"/"] = true
		}
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range files {
		skip := false
		for n := range nested {
			skip = skip || strings.HasPrefix(f, n)
		}
		if skip {
			continue
		}
		w, err := zw.Create(modPath + "@" + version + "/" + strings.TrimPrefix(f, dir+"/"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte(run(t, repo, nil, "git", "show", tag+":"+f))); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	at := filepath.Join(proxy, filepath.FromSlash(modPath), "@v")
	if err := os.MkdirAll(at, 0o755); err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(at, "list"), version+"\n")
	write(t, filepath.Join(at, version+".info"), fmt.Sprintf(`{"Version":%q,"Time":%q}`, version, time.Now().UTC().Format(time.RFC3339)))
	write(t, filepath.Join(at, version+".mod"), run(t, repo, nil, "git", "show", tag+":"+dir+"/go.mod"))
	write(t, filepath.Join(at, version+".zip"), buf.String())
}

// copyTracked copies the files git tracks in root, as they are in the
// working tree, to dst.
func copyTracked(t *testing.T, root, dst string) {
	t.Helper()
	for _, f := range strings.Split(strings.TrimRight(run(t, root, nil, "git", "ls-files"), "\n"), "\n") {
		src := filepath.Join(root, filepath.FromSlash(f))
		info, err := os.Lstat(src)
		if err != nil || !info.Mode().IsRegular() {
			continue // deleted in the working tree, or a symlink
		}
		data, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		out := filepath.Join(dst, filepath.FromSlash(f))
		if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(out, data, info.Mode().Perm()); err != nil {
			t.Fatal(err)
		}
	}
}

func repoRoot(t *testing.T) string {
	t.Helper()
	work := strings.TrimSpace(run(t, ".", nil, "go", "env", "GOWORK"))
	if work == "" || work == "off" {
		t.Fatal("no go.work: run from the repository's workspace")
	}
	return filepath.Dir(work)
}

func write(t *testing.T, name, data string) {
	t.Helper()
	if err := os.WriteFile(name, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

// run runs a command in dir with env added and returns its stdout; it
// fails the test with the output when the command fails.
func run(t *testing.T, dir string, env []string, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %s in %s: %v\n%s%s", name, strings.Join(args, " "), dir, err, out, stderr.String())
	}
	return string(out)
}
