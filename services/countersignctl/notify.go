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
	return printObject(c, data, fmt.Sprintf("reminders of %s resumed", tenant))
}

// notifyStatus shows the notifier's state for a tenant
// (GET /v1/tenants/{t}/notify).
func notifyStatus(ctx context.Context, c *session, args []string, _ *opts) error {
	data, err := c.get(ctx, "/v1/tenants/"+url.PathEscape(args[0])+"/notify", nil, nil)
	if err != nil {
		return err
	}
	if c.json {
		return c.printJSON(data)
	}
	return printObject(c, data, "no status")
}

// printObject shows a JSON object's fields, sorted (the notifier's to
// choose), or empty when it has none.
func printObject(c *session, data []byte, empty string) error {
	var obj map[string]any
	if json.Unmarshal(data, &obj) != nil || len(obj) == 0 {
		_, err := fmt.Fprintln(c.stdout, empty)
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
