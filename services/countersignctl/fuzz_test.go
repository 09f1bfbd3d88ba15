package countersignctl_test

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/countersign/countersign/services/countersignctl"
)

// FuzzRun: any command line gets an exit code of the contract and never
// a panic. The admin URL is a closed port, so commands that parse fail
// at the connection (1) — what is checked is everything before it.
func FuzzRun(f *testing.F) {
	for _, seed := range []string{
		"envelope show acme env-1", "ledger verify acme x --json", "dlq list --tenant acme --limit 5",
		"replay --ids a,b,,c --yes", "replay --since 7d --until 1h --class permanent", "replay --since 2026-11-22T07:00:00Z",
		"reconcile acme docusign --since 90m", "reconcile acme", "export show acme x", "notify resume acme",
		"--json -- envelope show acme -x", "help", "", "--url", "replay --since -5d", "audit --limit -1",
	} {
		f.Add(seed)
	}
	client := &http.Client{Timeout: time.Second}
	f.Fuzz(func(t *testing.T, line string) {
		var out, errOut bytes.Buffer
		code := countersignctl.Run(context.Background(), strings.Fields(line), countersignctl.IO{
			Stdout: &out, Stderr: &errOut, HTTP: client,
			Getenv: func(k string) string {
				return map[string]string{"COUNTERSIGN_ADMIN_URL": "http://127.0.0.1:1", "COUNTERSIGN_ADMIN_TOKEN": "t"}[k]
			},
		})
		switch code {
		case countersignctl.ExitOK, countersignctl.ExitFailure, countersignctl.ExitUsage:
		default:
			t.Fatalf("%q: exit %d (3 needs a ledger, which a closed port cannot give)", line, code)
		}
		if code != 0 && errOut.Len() == 0 {
			t.Fatalf("%q: exit %d with nothing on stderr", line, code)
		}
	})
}
