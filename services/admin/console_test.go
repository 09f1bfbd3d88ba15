package admin

import (
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestConsoleIsServedWithoutToken: the page itself carries no data, so it
// is public; the API it calls still needs the token.
func TestConsoleIsServedWithoutToken(t *testing.T) {
	h := consoleHandler()
	for path, want := range map[string]string{
		"/ui/": "ops console", "/ui/console.js": "Bearer", "/ui/verify.js": "verifyChain", "/ui/console.css": "read-only",
	} {
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

// TestConsoleIsSelfContained: the console works offline — every file it
// loads is embedded, nothing comes from another origin.
func TestConsoleIsSelfContained(t *testing.T) {
	err := fs.WalkDir(consoleFiles, "ui", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := consoleFiles.ReadFile(path)
		if err != nil {
			return err
		}
		for _, remote := range []string{"http://", "https://", "//cdn", "@import"} {
			if strings.Contains(string(data), remote) {
				t.Errorf("%s refers to %q: the console must load nothing from elsewhere", path, remote)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
