package admin

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"

	"github.com/countersign/countersign/shared/access"
	"github.com/countersign/countersign/shared/httpjson"
)

// maxForwardBody caps the body of a request forwarded to a service.
const maxForwardBody = 64 << 10

// tenantScoped checks the token may act on the tenant a forwarded
// request's JSON body names ({"tenant": …}; none: every tenant) before
// next passes the body on: the service behind the endpoint knows nothing
// of tokens.
func tenantScoped(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, maxForwardBody+1))
		if err != nil {
			httpjson.Error(w, http.StatusBadRequest, "read body: "+err.Error())
			return
		}
		if len(body) > maxForwardBody {
			httpjson.Error(w, http.StatusRequestEntityTooLarge, "request body too large")
			return
		}
		var named struct {
			Tenant string `json:"tenant"`
		}
		// A body that is not JSON is the service's to refuse (400); only a
		// tenant it names is checked here.
		_ = json.Unmarshal(body, &named)
		if !access.Allow(w, r, named.Tenant) {
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		next.ServeHTTP(w, r)
	})
}
