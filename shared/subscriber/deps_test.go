package subscriber_test

import (
	"os/exec"
	"strings"
	"testing"
)

// The subscriber is imported by other teams' services: it must not drag
// in countersign's own dependencies.
func TestImportsOnlyWhatItNeeds(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", ".").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, banned := range []string{"shared/bus", "go-redis", "prometheus", "shared/providers", "shared/dedupe", "shared/config"} {
		if strings.Contains(string(out), banned) {
			t.Errorf("shared/subscriber depends on %s:\n%s", banned, out)
		}
	}
}
