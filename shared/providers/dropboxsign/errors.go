package dropboxsign

import "errors"

// ErrNoAPIKey is returned by New when the provider has no API key (it
// signs event_hash).
var ErrNoAPIKey = errors.New("dropboxsign: no api_key configured")
