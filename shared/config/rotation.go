package config

// DropboxAPIKeys returns every Dropbox Sign API key a callback's
// event_hash may be signed with: api_key, then api_keys. During a
// rotation both the old and the new key are listed; the first one is the
// API credential.
func (p *Provider) DropboxAPIKeys() []Secret { return single(p.APIKey, p.APIKeys) }

// ESignAnyWhereTokens returns every accepted eSignAnyWhere callback
// token: callback_token, then callback_tokens.
func (p *Provider) ESignAnyWhereTokens() []Secret { return single(p.CallbackToken, p.CallbackTokens) }

func single(one Secret, many []Secret) []Secret {
	out := make([]Secret, 0, 1+len(many))
	if !one.IsZero() {
		out = append(out, one)
	}
	return append(out, many...)
}

// minStoreKey is the shortest streams.encryption_key accepted: the server
// derives its cipher key from it, so it must carry enough entropy.
const minStoreKey = 16
