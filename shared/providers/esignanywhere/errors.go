package esignanywhere

import "errors"

// ErrNoToken is returned by New when the provider has no callback_token.
var ErrNoToken = errors.New("esignanywhere: no callback_token configured")
