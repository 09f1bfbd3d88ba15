package sandbox

import (
	"fmt"
	"net/url"
	"time"
)

// Defaults applied by New where a Config field is zero.
const (
	DefaultConcurrency   = 8
	DefaultTimeout       = 30 * time.Second
	DefaultRetryBase     = 20 * time.Millisecond
	DefaultRetryMax      = time.Second
	DefaultDocuSignAcct  = "acct-sandbox"
	DefaultAdobeWebhook  = "wh-sandbox"
	MaxRedeliveries      = 30
	defaultRetryAfterSec = 1
)

// Secrets are the credentials the sandbox signs callbacks with: the same
// values countersign's config holds for the tenant.
type Secrets struct {
	// StandardWebhooks is the whsec_… secret.
	StandardWebhooks string
	// DocuSignKey is the Connect HMAC key.
	DocuSignKey string
	// DropboxAPIKey is the Dropbox Sign API key (event_hash key, and the
	// API's basic-auth user name).
	DropboxAPIKey string
	// AdobeClientID is sent as X-ADOBESIGN-CLIENTID.
	AdobeClientID string
	// ESignAnyWhereToken is the callback URL's token parameter.
	ESignAnyWhereToken string
	// PandaDocKey is PandaDoc's shared key (signs the body; the signature
	// goes in the URL's signature parameter).
	PandaDocKey string
}

// Window is an outage: callbacks whose first attempt falls between Start
// and End, measured from the start of Fire, are dropped (lost by the
// provider).
type Window struct {
	Start, End time.Duration
}

// APIConfig configures the provider API subset served by APIHandler.
type APIConfig struct {
	// DocuSignToken and AdobeToken are the bearer tokens accepted by the
	// DocuSign and Adobe Sign APIs; ESignAnyWhereToken is eSignAnyWhere's
	// apiToken header. Dropbox Sign takes Secrets.DropboxAPIKey as basic
	// auth user. An empty token turns that provider's check off.
	DocuSignToken      string
	AdobeToken         string
	ESignAnyWhereToken string
	// DocuSignAccount is the only account id DocuSign answers for
	// (default DefaultDocuSignAcct).
	DocuSignAccount string
	// Rate429Pct and Rate5xxPct are the shares (0–1) of API requests
	// answered 429 or 503, both with Retry-After.
	Rate429Pct, Rate5xxPct float64
	// DocumentBytes is the size of every document the APIs serve (signed
	// PDFs, audit trails); 0 serves a small stand-in. See Document.
	DocumentBytes int64
	// DropboxFilesNotReady is how many times Dropbox Sign answers a
	// request's files call 409 ("still being processed") before serving
	// them, as it does until signature_request_downloadable.
	DropboxFilesNotReady int
}

// Config configures a Sandbox. Percentages are shares in [0, 1].
type Config struct {
	// Target is countersign's ingress base URL (http://host:port).
	Target  string
	Tenant  string
	Secrets Secrets
	// DropPct is the share of callbacks the provider loses (never sent).
	DropPct float64
	// DuplicatePct is the share of callbacks delivered one extra time,
	// byte for byte.
	DuplicatePct float64
	// LostAckPct is the share of attempts whose 2xx answer the provider
	// "does not see" (a timeout on its side), so it redelivers.
	LostAckPct float64
	// Reorder shuffles each envelope's callbacks.
	Reorder bool
	// MaxDelay bounds a random pause before each callback.
	MaxDelay time.Duration
	// Redeliveries is how often a failed or unacknowledged delivery is
	// retried (0–MaxRedeliveries), as providers do.
	Redeliveries int
	// RetryBase and RetryMax bound the doubling pause between attempts
	// (providers wait minutes to hours; the sandbox compresses time).
	// Retry-After is honoured up to RetryMax.
	RetryBase, RetryMax time.Duration
	OutageWindows       []Window
	// ForgedPct is the share of callbacks followed by a forged delivery
	// (bad signature, client id or token) that must be answered 401.
	ForgedPct float64
	// Concurrency is how many envelopes are delivered at once.
	Concurrency int
	// Timeout bounds one HTTP attempt.
	Timeout time.Duration
	Seed    int64
	// AdobeWebhookID is the webhookId in Adobe Sign payloads.
	AdobeWebhookID string
	API            APIConfig
}

// withDefaults returns c with zero fields set to their defaults.
func (c Config) withDefaults() Config {
	if c.Concurrency == 0 {
		c.Concurrency = DefaultConcurrency
	}
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	if c.RetryBase == 0 {
		c.RetryBase = DefaultRetryBase
	}
	if c.RetryMax == 0 {
		c.RetryMax = DefaultRetryMax
	}
	if c.API.DocuSignAccount == "" {
		c.API.DocuSignAccount = DefaultDocuSignAcct
	}
	if c.AdobeWebhookID == "" {
		c.AdobeWebhookID = DefaultAdobeWebhook
	}
	return c
}

// Validate checks the config; errors wrap ErrConfig. Target may be empty
// for a sandbox that only serves the API.
func (c Config) Validate() error {
	if c.Target != "" {
		u, err := url.Parse(c.Target)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("%w: target %q is not an http(s) URL", ErrConfig, c.Target)
		}
	}
	for name, p := range map[string]float64{
		"drop": c.DropPct, "duplicate": c.DuplicatePct, "lost ack": c.LostAckPct,
		"forged": c.ForgedPct, "api 429": c.API.Rate429Pct, "api 5xx": c.API.Rate5xxPct,
	} {
		if p < 0 || p > 1 {
			return fmt.Errorf("%w: %s share %v is outside [0, 1]", ErrConfig, name, p)
		}
	}
	if c.Redeliveries < 0 || c.Redeliveries > MaxRedeliveries {
		return fmt.Errorf("%w: redeliveries %d is outside [0, %d]", ErrConfig, c.Redeliveries, MaxRedeliveries)
	}
	if c.Concurrency < 0 || c.MaxDelay < 0 || c.Timeout < 0 || c.RetryBase < 0 || c.RetryMax < 0 {
		return fmt.Errorf("%w: negative concurrency or duration", ErrConfig)
	}
	for _, w := range c.OutageWindows {
		if w.End < w.Start {
			return fmt.Errorf("%w: outage window ends (%s) before it starts (%s)", ErrConfig, w.End, w.Start)
		}
	}
	if c.Secrets.StandardWebhooks != "" {
		if _, err := standardWebhooksKey(c.Secrets.StandardWebhooks); err != nil {
			return fmt.Errorf("%w: %w", ErrConfig, err)
		}
	}
	return nil
}
