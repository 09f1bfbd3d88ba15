package bus

// ClassProviderAuth: a provider's API refused countersign's credentials
// (HTTP 401/403) — a revoked or rotated API token. Retrying cannot cure
// it and it is not an outage, so the message goes to the DLQ at once and
// an operator is alerted; replay it once the token is fixed.
const ClassProviderAuth = "provider_auth"

// ProviderAuth marks err as a provider API authentication failure: the
// worker dead-letters the message at once with class ClassProviderAuth,
// like Permanent. ProviderAuth(nil) is nil.
func ProviderAuth(err error) error {
	if err == nil {
		return nil
	}
	return &classified{err: err, class: ClassProviderAuth, permanent: true}
}
