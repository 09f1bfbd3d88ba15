// Package tlsconf serves HTTPS listeners from config (ingress.tls,
// admin.tls) with certificates that a config reload replaces: the
// tls.Config asks for the current certificate and client CAs at every
// handshake, so connections already open keep theirs and new ones get
// the renewed certificate, without a restart.
package tlsconf

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"sync/atomic"

	"github.com/countersign/countersign/shared/config"
)

// Server is a listener's TLS state.
type Server struct {
	state atomic.Pointer[state]
}

type state struct {
	cert      *tls.Certificate
	clientCAs *x509.CertPool // nil: no client certificate asked
}

// New loads t's certificate (and client CAs); nil t is an error.
func New(t *config.TLS) (*Server, error) {
	s := &Server{}
	st, err := load(t)
	if err != nil {
		return nil, err
	}
	s.state.Store(st)
	return s, nil
}

func load(t *config.TLS) (*state, error) {
	if t == nil {
		return nil, fmt.Errorf("tlsconf: no TLS section")
	}
	cert, err := t.Certificate()
	if err != nil {
		return nil, fmt.Errorf("tlsconf: %w", err)
	}
	cas, err := t.ClientCAs()
	if err != nil {
		return nil, fmt.Errorf("tlsconf: %w", err)
	}
	return &state{cert: cert, clientCAs: cas}, nil
}

// Config returns the tls.Config of the listener (TLS 1.2 at least).
// Whether a client certificate is required follows the current state:
// a reload may add or drop client_ca_file.
func (s *Server) Config() *tls.Config {
	base := &tls.Config{MinVersion: tls.VersionTLS12}
	base.GetCertificate = func(*tls.ClientHelloInfo) (*tls.Certificate, error) { return s.state.Load().cert, nil }
	base.GetConfigForClient = func(*tls.ClientHelloInfo) (*tls.Config, error) {
		st := s.state.Load()
		c := &tls.Config{
			MinVersion:   tls.VersionTLS12,
			Certificates: []tls.Certificate{*st.cert},
			NextProtos:   []string{"http/1.1"},
		}
		if st.clientCAs != nil {
			c.ClientCAs = st.clientCAs
			c.ClientAuth = tls.RequireAndVerifyClientCert
		}
		return c, nil
	}
	return base
}

// Reload prepares t's certificate; commit makes it the one served. A
// file that does not load keeps the current one (the error says why).
func (s *Server) Reload(t *config.TLS) (commit func(), err error) {
	if t == nil {
		// Dropping tls: from the file needs a restart: the listener is
		// HTTPS. Keep serving the certificate we have.
		return func() {}, nil
	}
	st, err := load(t)
	if err != nil {
		return nil, err
	}
	return func() { s.state.Store(st) }, nil
}
