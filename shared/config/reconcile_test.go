package config

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestReconcileSettings(t *testing.T) {
	const head = "admin: {tokens: [t]}\ntenants:\n  - id: acme\n    providers:\n      - kind: adobesign\n        client_ids: [c]\n"
	const api = "        api: {base_url: 'http://api.test', token: tok}\n"
	tests := []struct {
		name string
		yaml string
		want *Reconcile
		// is and msg describe the expected error, if any.
		is  error
		msg string
	}{
		{name: "defaults with api", yaml: head + api, want: &Reconcile{
			Interval:         Duration(DefaultReconcileInterval),
			IncidentInterval: Duration(DefaultReconcileIncidentInterval),
			StaleAfter:       Duration(DefaultReconcileStaleAfter),
		}},
		{name: "no api, no reconcile", yaml: head},
		{name: "values kept", yaml: head + api + "        reconcile: {interval: 10m, incident_interval: 30s, stale_after: 1h}\n", want: &Reconcile{
			Interval: Duration(10 * time.Minute), IncidentInterval: Duration(30 * time.Second), StaleAfter: Duration(time.Hour),
		}},
		{name: "reconcile without api", yaml: head + "        reconcile: {interval: 10m}\n",
			is: ErrInvalid, msg: "tenants[0].providers[0].reconcile: reconcile applies only to a provider with api:"},
		{name: "incident slower than calm", yaml: head + api + "        reconcile: {interval: 1m, incident_interval: 5m}\n",
			is: ErrInvalid, msg: "tenants[0].providers[0].reconcile.incident_interval: must not exceed interval"},
		{name: "negative interval", yaml: head + api + "        reconcile: {interval: -1m}\n",
			is: ErrInvalid, msg: "tenants[0].providers[0].reconcile.interval: must be positive"},
		{name: "unknown field", yaml: head + api + "        reconcile: {every: 1m}\n",
			is: ErrUnknownField, msg: "tenants[0].providers[0].reconcile.every: unknown field"},
		{name: "not for standard webhooks", yaml: "admin: {tokens: [t]}\ntenants:\n  - id: acme\n    providers:\n      - kind: standardwebhooks\n        secrets: [whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw]\n        reconcile: {interval: 1m}\n",
			is: ErrInvalid, msg: "reconcile does not apply to kind standardwebhooks"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Parse("c.yaml", []byte(tt.yaml))
			if tt.is != nil {
				if !errors.Is(err, tt.is) || !strings.Contains(err.Error(), tt.msg) {
					t.Fatalf("err = %v, want %v containing %q", err, tt.is, tt.msg)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := f.Tenants[0].Providers[0].Reconcile
			switch {
			case tt.want == nil && got != nil:
				t.Fatalf("reconcile = %+v, want none", *got)
			case tt.want != nil && (got == nil || *got != *tt.want):
				t.Fatalf("reconcile = %+v, want %+v", got, *tt.want)
			}
		})
	}
}
