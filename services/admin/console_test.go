package admin

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestConsoleIsServedWithoutToken: the page itself carries no data, so it
// is public; the API it calls still needs the token.
func TestConsoleIsServedWithoutToken(t *testing.T) {
	h := consoleHandler()
	for path, want := range map[string]string{"/ui/": "ops console", "/ui/console.js": "Bearer"} {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, path, nil))
		body, _ := io.ReadAll(w.Body)
		if w.Code != http.StatusOK || !strings.Contains(string(body), want) {
			t.Fatalf("GET %s: %d, body without %q", path, w.Code, want)
		}
		if w.Header().Get("Content-Security-Policy") == "" {
			t.Fatalf("GET %s: no Content-Security-Policy", path)
		}
	}
}
