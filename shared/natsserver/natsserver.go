// Package natsserver runs an embedded nats-server with JetStream on disk:
// what the all-in-one uses when no NATS URL is given, and what tests use.
package natsserver

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// MaxPayload is the embedded server's max message size: a 10 MiB callback
// body plus headers must fit in one RAW message.
const MaxPayload = 16 << 20

// Options configures an embedded server.
type Options struct {
	// Listen is host:port; port -1 picks a free one.
	Listen string
	// StoreDir holds JetStream's files.
	StoreDir string
	// SyncAlways fsyncs every write (slower, survives power loss alone).
	SyncAlways bool
	// EncryptionKey, when set, encrypts the JetStream store at rest
	// (ChaCha20-Poly1305; streams.encryption_key). The same key is needed
	// to open the store again: without it the data is lost.
	EncryptionKey string
	// ServerName names the server (cluster members need distinct names).
	ServerName string
	// Cluster, when set, joins a cluster: ClusterListen is this node's
	// route listener and Routes the other nodes' route URLs.
	ClusterName   string
	ClusterListen string
	Routes        []string
	// MaxStore is the JetStream store limit in bytes (streams.max_store);
	// 0 = the size of the file system holding StoreDir (storeLimit).
	MaxStore int64
	// ReadyTimeout bounds the wait for the server to accept clients
	// (default 10s).
	ReadyTimeout time.Duration
}

// Start starts an embedded server and waits until it accepts clients.
func Start(o Options) (*server.Server, error) {
	host, port, err := splitHostPort(o.Listen)
	if err != nil {
		return nil, fmt.Errorf("natsserver: listen %q: %w", o.Listen, err)
	}
	if o.StoreDir == "" {
		return nil, errors.New("natsserver: StoreDir is required")
	}
	opts := &server.Options{
		ServerName: o.ServerName,
		Host:       host,
		Port:       port,
		JetStream:  true,
		StoreDir:   o.StoreDir,
		MaxPayload: MaxPayload,
		NoSigs:     true,
		NoLog:      true,
	}
	if o.SyncAlways {
		opts.SyncAlways = true
	}
	opts.JetStreamMaxStore = o.MaxStore
	if opts.JetStreamMaxStore <= 0 {
		opts.JetStreamMaxStore = storeLimit(o.StoreDir)
	}
	if o.EncryptionKey != "" {
		opts.JetStreamKey = o.EncryptionKey
		opts.JetStreamCipher = server.ChaCha
	}
	if o.ClusterListen != "" {
		chost, cport, err := splitHostPort(o.ClusterListen)
		if err != nil {
			return nil, fmt.Errorf("natsserver: cluster listen %q: %w", o.ClusterListen, err)
		}
		opts.Cluster = server.ClusterOpts{Name: o.ClusterName, Host: chost, Port: cport}
		opts.Routes = server.RoutesFromStr(joinComma(o.Routes))
	}
	s, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("natsserver: %w", err)
	}
	go s.Start()
	wait := o.ReadyTimeout
	if wait == 0 {
		wait = 10 * time.Second
	}
	if !s.ReadyForConnections(wait) {
		s.Shutdown()
		return nil, fmt.Errorf("natsserver: not ready for connections on %s after %s", o.Listen, wait)
	}
	return s, nil
}

func splitHostPort(hp string) (string, int, error) {
	h, p, err := net.SplitHostPort(hp)
	if err != nil {
		return "", 0, err
	}
	n, err := strconv.Atoi(p)
	if err != nil {
		return "", 0, fmt.Errorf("port %q: %w", p, err)
	}
	return h, n, nil
}

func joinComma(s []string) string {
	out := ""
	for i, r := range s {
		if i > 0 {
			out += ","
		}
		out += r
	}
	return out
}
