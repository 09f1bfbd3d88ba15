package admin

import "net/http"

// whoamiView is the answer of GET /v1/whoami: what the caller's token may
// do, so the console shows only the actions it may take. Every token of a
// plain admin.tokens list is an operate token for every tenant (tenants
// null).
type whoamiView struct {
	Role    string   `json:"role"`
	Tenants []string `json:"tenants"`
}

func whoami(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, whoamiView{Role: "operate"})
}
