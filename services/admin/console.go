package admin

import (
	"embed"
	"io/fs"
	"net/http"
)

//go:embed ui
var consoleFiles embed.FS

// consoleHandler serves the ops console: one static page that calls the
// admin API from the browser with the token the operator enters, so the
// console has no privileges of its own.
func consoleHandler() http.Handler {
	sub, err := fs.Sub(consoleFiles, "ui")
	if err != nil {
		panic(err) // the embedded tree is fixed at build time
	}
	files := http.StripPrefix("/ui/", http.FileServerFS(sub))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", "default-src 'self'; style-src 'self' 'unsafe-inline'")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Referrer-Policy", "no-referrer")
		files.ServeHTTP(w, r)
	})
}
