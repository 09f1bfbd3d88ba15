package admin

import (
	"net/http"
	"path"
	"strings"

	"github.com/countersign/countersign/shared/httpjson"
)

// canonicalPaths answers 404 to paths ServeMux would otherwise redirect
// (".." and "//" segments, "." elements) before anything else sees them:
// the mux's 307 to the cleaned path came before the token check and told
// an unauthenticated caller which routes exist. A trailing slash is kept
// ("/ui/" is canonical).
func canonicalPaths(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !canonical(r.URL.Path) {
			httpjson.Error(w, http.StatusNotFound, "not found")
			return
		}
		next.ServeHTTP(w, r)
	})
}

func canonical(p string) bool {
	if p == "" || p[0] != '/' {
		return false
	}
	c := path.Clean(p)
	return c == p || (strings.HasSuffix(p, "/") && c+"/" == p)
}
