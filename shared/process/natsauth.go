package process

import (
	"errors"
	"fmt"

	"github.com/nats-io/nats.go"

	"github.com/countersign/countersign/shared/cli"
)

// NATSOptions turns the process's NATS credentials and TLS settings into
// nats.go options. Giving more than one kind of credential is an error:
// which one the server would check is not obvious.
func NATSOptions(a cli.NATSAuth) ([]nats.Option, error) {
	var opts []nats.Option
	kinds := 0
	if a.Creds != "" {
		kinds++
		opts = append(opts, nats.UserCredentials(a.Creds))
	}
	if a.NKey != "" {
		kinds++
		o, err := nats.NkeyOptionFromSeed(a.NKey)
		if err != nil {
			return nil, fmt.Errorf("--nats-nkey: %w", err)
		}
		opts = append(opts, o)
	}
	if a.User != "" || a.Password != "" {
		kinds++
		if a.User == "" || a.Password == "" {
			return nil, errors.New("--nats-user and --nats-password go together")
		}
		opts = append(opts, nats.UserInfo(a.User, a.Password))
	}
	if kinds > 1 {
		return nil, errors.New("give one of --nats-creds, --nats-nkey or --nats-user/--nats-password")
	}
	if a.CA != "" {
		opts = append(opts, nats.RootCAs(a.CA))
	}
	if (a.Cert == "") != (a.Key == "") {
		return nil, errors.New("--nats-cert and --nats-key go together")
	}
	if a.Cert != "" {
		opts = append(opts, nats.ClientCert(a.Cert, a.Key))
	}
	return opts, nil
}
