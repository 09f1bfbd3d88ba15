package admin

import (
	"net/http"

	"github.com/countersign/countersign/shared/access"
	"github.com/countersign/countersign/shared/httpjson"
)

// whoamiView is the answer of GET /v1/whoami: what the caller's token may
// do, so the ops console offers only the actions it may take (the API
// enforces them regardless). Tenants is null for a token of every tenant.
type whoamiView struct {
	Name    string   `json:"name"`
	Role    string   `json:"role"`
	Tenants []string `json:"tenants"`
}

func whoami(w http.ResponseWriter, r *http.Request) {
	p, ok := access.FromContext(r.Context())
	if !ok {
		access.Forbid(w, "no principal (route not behind the admin token)")
		return
	}
	httpjson.Write(w, http.StatusOK, whoamiView{Name: p.Name, Role: string(p.Role), Tenants: p.Tenants})
}
