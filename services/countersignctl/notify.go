package countersignctl

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
)

// notifyResume resumes a tenant's paused reminders
// (POST /v1/tenants/{t}/notify/resume, operate role).
func notifyResume(ctx context.Context, c *session, args []string, _ *opts) error {
	tenant := args[0]
	data, err := c.post(ctx, "/v1/tenants/"+url.PathEscape(tenant)+"/notify/resume", struct{}{}, nil)
	if err != nil {
		return err
	}
	if c.json {
		return c.printJSON(data)
	}
	// The answer's fields are the notifier's to choose: show them all.
	var obj map[string]any
	if json.Unmarshal(data, &obj) != nil || len(obj) == 0 {
		_, err := fmt.Fprintf(c.stdout, "reminders of %s resumed\n", tenant)
		return err
	}
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	kv := make([]string, 0, 2*len(keys))
	for _, k := range keys {
		b, _ := json.Marshal(obj[k])
		v := string(b)
		if s, ok := obj[k].(string); ok {
			v = s
		}
		kv = append(kv, k, v)
	}
	return fields(c.stdout, kv...)
}
