package demo

import (
	"fmt"
	"strings"

	"github.com/countersign/countersign/tests/sandbox"
)

// Dev credentials shared by countersign's config and the sandbox. They are
// published test values (most are the providers' own documentation
// vectors) and guard nothing but loopback servers that live for one run.
const (
	DevStandardWebhooksSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	DevDocuSignKey            = "docusign-test-key"
	DevDropboxAPIKey          = "324e3b0840f065eb51f3fd63231d0d33daa35d4ed10d27718839e81737065782"
	DevAdobeClientID          = "adobe-client-1"
	DevESignAnyWhereToken     = "esaw-token-1"
	DevPandaDocKey            = "pandadoc-dev-shared-key"
	DevDocuSignAPIToken       = "docusign-api-token-dev"
	DevAdobeAPIToken          = "adobe-api-token-dev"
	DevESignAnyWhereAPIToken  = "esaw-api-token-dev"
)

// DevSecrets returns the callback credentials of the dev config.
func DevSecrets() sandbox.Secrets {
	return sandbox.Secrets{
		StandardWebhooks:   DevStandardWebhooksSecret,
		DocuSignKey:        DevDocuSignKey,
		DropboxAPIKey:      DevDropboxAPIKey,
		AdobeClientID:      DevAdobeClientID,
		ESignAnyWhereToken: DevESignAnyWhereToken,
		PandaDocKey:        DevPandaDocKey,
	}
}

// DevAPI returns the provider API credentials of the dev config (the
// sandbox requires them; Dropbox Sign's is its API key).
func DevAPI() sandbox.APIConfig {
	return sandbox.APIConfig{
		DocuSignToken:      DevDocuSignAPIToken,
		AdobeToken:         DevAdobeAPIToken,
		ESignAnyWhereToken: DevESignAnyWhereAPIToken,
		DocuSignAccount:    sandbox.DefaultDocuSignAcct,
	}
}

// ConfigParams are what RenderConfig needs.
type ConfigParams struct {
	// AdminToken is the one admin bearer token.
	AdminToken string
	// Tenant is the one tenant's id.
	Tenant string
	// Secrets are the callback credentials (see DevSecrets).
	Secrets sandbox.Secrets
	// APIBaseURL is where the providers' APIs are served (the sandbox's
	// APIHandler); empty leaves every api: section out.
	APIBaseURL string
	// API holds the API credentials (see DevAPI).
	API sandbox.APIConfig
	// PersistTimeout is ingress.persist_timeout ("" for the default).
	PersistTimeout string
	// Reconcile, when set, is the YAML flow map of every API provider's
	// reconcile: section (e.g. "{interval: 5s, incident_interval: 2s}").
	Reconcile string
	// Export, when set, is the YAML flow map of the tenant's export:
	// section (e.g. `{target: "file:///x", purge_at_provider: true}`).
	Export string
	// Notify, when set, is the YAML flow map of the tenant's notify:
	// section.
	Notify string
	// Playbook, when its ID is set, adds a second tenant: Dropbox Sign
	// alone, with its own API and a notify playbook.
	Playbook PlaybookTenant
}

// PlaybookTenant is a tenant with Dropbox Sign alone and a notify
// playbook: the demo's notification scenario, kept apart from the main
// tenant, whose envelopes' lifecycles lie hours in the past and would
// all be due for reminders at once.
type PlaybookTenant struct {
	// ID is the tenant's id; empty leaves the tenant out.
	ID string
	// APIBaseURL is where its Dropbox Sign API is served.
	APIBaseURL string
	// Notify is the YAML flow map of its notify: section.
	Notify string
}

// RenderConfig returns a countersign YAML config with one tenant and all
// six providers: the five built-in kinds and PandaDoc, a generic HMAC
// provider configured by YAML alone. With an API base URL every provider that has an API
// gets an api: section pointing at it, with rate limits generous enough
// for a burst of confirmations.
func RenderConfig(p ConfigParams) string {
	var b strings.Builder
	fmt.Fprintf(&b, "admin:\n  tokens: [%q]\n", p.AdminToken)
	if p.PersistTimeout != "" {
		fmt.Fprintf(&b, "ingress:\n  persist_timeout: %s\n", p.PersistTimeout)
	}
	fmt.Fprintf(&b, "tenants:\n  - id: %s\n    rate_limit: {rate: 100000, burst: 100000}\n", p.Tenant)
	if p.Export != "" {
		fmt.Fprintf(&b, "    export: %s\n", p.Export)
	}
	if p.Notify != "" {
		fmt.Fprintf(&b, "    notify: %s\n", p.Notify)
	}
	b.WriteString("    providers:\n")
	api := func(token, account string) {
		if p.APIBaseURL == "" {
			return
		}
		fmt.Fprintf(&b, "        api: {base_url: %q", p.APIBaseURL)
		if token != "" {
			fmt.Fprintf(&b, ", token: %q", token)
		}
		if account != "" {
			fmt.Fprintf(&b, ", account_id: %q", account)
		}
		b.WriteString(", rate: 1000, burst: 1000}\n")
		if p.Reconcile != "" {
			fmt.Fprintf(&b, "        reconcile: %s\n", p.Reconcile)
		}
	}
	fmt.Fprintf(&b, "      - kind: %s\n        secrets: [%q]\n        tolerance: 5m\n", sandbox.KindStandardWebhooks, p.Secrets.StandardWebhooks)
	fmt.Fprintf(&b, "      - kind: %s\n        hmac_keys: [%q]\n", sandbox.KindDocuSign, p.Secrets.DocuSignKey)
	api(p.API.DocuSignToken, p.API.DocuSignAccount)
	// Dropbox Sign's API credential is its api_key: no token.
	fmt.Fprintf(&b, "      - kind: %s\n        api_key: %q\n", sandbox.KindDropboxSign, p.Secrets.DropboxAPIKey)
	api("", "")
	fmt.Fprintf(&b, "      - kind: %s\n        client_ids: [%q]\n", sandbox.KindAdobeSign, p.Secrets.AdobeClientID)
	api(p.API.AdobeToken, "")
	fmt.Fprintf(&b, "      - kind: %s\n        callback_token: %q\n", sandbox.KindESignAnyWhere, p.Secrets.ESignAnyWhereToken)
	api(p.API.ESignAnyWhereToken, "")
	b.WriteString(sandbox.PandaDocConfig(p.Secrets.PandaDocKey))
	if t := p.Playbook; t.ID != "" {
		fmt.Fprintf(&b, "  - id: %s\n    rate_limit: {rate: 100000, burst: 100000}\n    notify: %s\n    providers:\n", t.ID, t.Notify)
		fmt.Fprintf(&b, "      - kind: %s\n        api_key: %q\n", sandbox.KindDropboxSign, p.Secrets.DropboxAPIKey)
		fmt.Fprintf(&b, "        api: {base_url: %q, rate: 1000, burst: 1000}\n", t.APIBaseURL)
	}
	return b.String()
}
