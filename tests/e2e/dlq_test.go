package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/countersign/countersign/shared/meshtest"
	"github.com/countersign/countersign/shared/meshtest/mesh"
)

// dlqEntry is the part of a GET /v1/dlq entry the test checks.
type dlqEntry struct {
	ID         string     `json:"id"`
	Service    string     `json:"service"`
	Tenant     string     `json:"tenant"`
	Subject    string     `json:"subject"`
	Error      string     `json:"error"`
	ErrorClass string     `json:"error_class"`
	Attempts   int        `json:"attempts"`
	DeadAt     time.Time  `json:"dead_at"`
	ReplayedAt *time.Time `json:"replayed_at"`
}

type replayAnswer struct {
	Matched  int `json:"matched"`
	Replayed int `json:"replayed"`
	Skipped  int `json:"skipped"`
}

// adminPost POSTs body to path on the admin API with token (none when
// empty) into out; it returns the status.
func adminPost(t *testing.T, m *mesh.Mesh, token, path, body string, out any) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, m.AdminURL+path, bytes.NewReader([]byte(body)))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("admin POST %s: %v", path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusOK && out != nil {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			t.Fatalf("admin POST %s: decode: %v", path, err)
		}
	}
	return resp.StatusCode
}

// dlqEntries polls GET path until it lists want entries.
func dlqEntries(t *testing.T, m *mesh.Mesh, path string, want int) []dlqEntry {
	t.Helper()
	var got struct {
		Entries []dlqEntry `json:"entries"`
	}
	meshtest.CheckFor(t, 15*time.Second, 50*time.Millisecond, func() error {
		got.Entries = nil
		if code := adminGet(t, m, path, &got); code != http.StatusOK {
			return fmt.Errorf("GET %s: %d", path, code)
		}
		if len(got.Entries) != want {
			return fmt.Errorf("GET %s: %d entries, want %d", path, len(got.Entries), want)
		}
		return nil
	})
	return got.Entries
}

// A correctly signed callback whose body is not JSON is stored (200) and
// dead-lettered by the verifier as permanent; the DLQ shows it, replay
// counts it on a dry run, and a real replay sends it through the verifier
// again (which dead-letters the replay in turn) and marks it replayed.
func TestPoisonCallbackIsDeadLetteredAndReplayable(t *testing.T) {
	m := startMesh(t, "")
	client := &http.Client{Timeout: 10 * time.Second}
	poison := swDelivery{ID: "msg_poison_1", TS: time.Now(), Body: []byte(`{"type":"document.sent","data":`)}
	if resp := post(t, client, m.IngressURL, "acme", specSecret, poison); resp.StatusCode != http.StatusOK {
		t.Fatalf("poison callback: %s, want 200", resp.Status)
	}

	for _, c := range []struct{ method, path string }{
		{http.MethodGet, "/v1/dlq"},
		{http.MethodPost, "/v1/replay"},
		{http.MethodPost, "/v1/replay/raw"},
	} {
		req, _ := http.NewRequest(c.method, m.AdminURL+c.path, bytes.NewReader([]byte(`{"ids":["x"]}`)))
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("%s %s without token: %s, want 401", c.method, c.path, resp.Status)
		}
	}

	path := "/v1/dlq?tenant=acme&service=verifier&class=permanent"
	e := dlqEntries(t, m, path, 1)[0]
	if e.Tenant != "acme" || e.Service != "verifier" || e.ErrorClass != "permanent" ||
		!strings.HasSuffix(e.Subject, ".acme.standardwebhooks._") || // unparseable: envelope "_", any partition
		e.Error == "" || e.Attempts != 1 || e.ReplayedAt != nil {
		t.Errorf("DLQ entry = %+v", e)
	}

	var dry replayAnswer
	if code := adminPost(t, m, mesh.AdminToken, "/v1/replay", `{"ids":["`+e.ID+`"],"dry_run":true}`, &dry); code != http.StatusOK {
		t.Fatalf("dry run: %d", code)
	}
	if dry != (replayAnswer{Matched: 1}) {
		t.Errorf("dry run = %+v, want matched 1, replayed 0", dry)
	}
	var byRange replayAnswer
	since := e.DeadAt.Add(-time.Minute).Format(time.RFC3339Nano)
	body := `{"since":"` + since + `","tenant":"acme","service":"verifier","class":"permanent","dry_run":true}`
	if code := adminPost(t, m, mesh.AdminToken, "/v1/replay", body, &byRange); code != http.StatusOK || byRange.Matched != 1 {
		t.Errorf("dry run by range: %d %+v, want matched 1", code, byRange)
	}

	var real replayAnswer
	if code := adminPost(t, m, mesh.AdminToken, "/v1/replay", `{"ids":["`+e.ID+`"]}`, &real); code != http.StatusOK || real.Replayed != 1 {
		t.Fatalf("replay: %d %+v, want replayed 1", code, real)
	}
	// Still poison: the replay is dead-lettered again, as a new entry.
	entries := dlqEntries(t, m, path, 2)
	replayed := 0
	for _, x := range entries {
		if x.ID == e.ID && x.ReplayedAt != nil {
			replayed++
		}
	}
	if replayed != 1 {
		t.Errorf("entries after replay = %+v, want %s marked replayed", entries, e.ID)
	}
	var again replayAnswer
	if code := adminPost(t, m, mesh.AdminToken, "/v1/replay", `{"ids":["`+e.ID+`"]}`, &again); code != http.StatusOK ||
		again.Replayed != 0 || again.Skipped != 1 {
		t.Errorf("second replay: %d %+v, want skipped", code, again)
	}
}
