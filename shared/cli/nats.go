package cli

// NATSAuth is how a process authenticates to an external NATS and
// verifies it: at most one of Creds, NKey or User+Password; CA, and Cert
// with Key for mutual TLS. A tls:// URL, or CA set, makes the connection
// TLS.
type NATSAuth struct {
	// Creds is a .creds file (JWT + nkey seed), from nsc.
	Creds string
	// NKey is a file holding an nkey seed (SU…).
	NKey string
	// User and Password are plain credentials (the password is better set
	// in the environment than on the command line, where ps shows it).
	User, Password string
	// CA is a PEM file of the CAs that sign the server's certificate.
	CA string
	// Cert and Key are the client certificate and key (server-side
	// verify_and_map or mTLS).
	Cert, Key string
}

func init() {
	table = append(table,
		setting{"nats-creds", "COUNTERSIGN_NATS_CREDS", "", "NATS credentials file (JWT + nkey seed)", func(s *Settings) *string { return &s.NATSAuth.Creds }, false},
		setting{"nats-nkey", "COUNTERSIGN_NATS_NKEY", "", "file holding a NATS nkey seed", func(s *Settings) *string { return &s.NATSAuth.NKey }, false},
		setting{"nats-user", "COUNTERSIGN_NATS_USER", "", "NATS user name", func(s *Settings) *string { return &s.NATSAuth.User }, false},
		setting{"nats-password", "COUNTERSIGN_NATS_PASSWORD", "", "NATS password (prefer the environment variable)", func(s *Settings) *string { return &s.NATSAuth.Password }, false},
		setting{"nats-ca", "COUNTERSIGN_NATS_CA", "", "PEM CAs that sign the NATS server's certificate (TLS)", func(s *Settings) *string { return &s.NATSAuth.CA }, false},
		setting{"nats-cert", "COUNTERSIGN_NATS_CERT", "", "client certificate for NATS mutual TLS", func(s *Settings) *string { return &s.NATSAuth.Cert }, false},
		setting{"nats-key", "COUNTERSIGN_NATS_KEY", "", "client key for NATS mutual TLS", func(s *Settings) *string { return &s.NATSAuth.Key }, false},
	)
}
