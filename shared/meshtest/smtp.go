package meshtest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"sync"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// SMTP is a real SMTP server (github.com/emersion/go-smtp) in the test
// process on a free port, recording every message it accepts. It offers
// STARTTLS with a certificate for 127.0.0.1 that RootCAs trusts. It can be
// switched down (every transaction refused with a temporary 451) and back.
type SMTP struct {
	// Addr is host:port to send to.
	Addr string
	// RootCAs trusts the server's STARTTLS certificate.
	RootCAs *x509.CertPool
	// Username and Password, when Username is set, are required (PLAIN).
	Username, Password string

	srv  *smtp.Server
	mu   sync.Mutex
	msgs []SMTPMessage
	down bool
}

// SMTPMessage is one accepted message.
type SMTPMessage struct {
	From string
	To   []string
	Data []byte
	// User is who authenticated ("" without auth).
	User string
	// TLS reports whether the session had switched to TLS (STARTTLS).
	TLS bool
}

// StartSMTP starts the server; user may be "" (no authentication).
func StartSMTP(t TB, user, password string) *SMTP { return startSMTP(t, user, password, true) }

// StartPlainSMTP starts a server that offers no STARTTLS and no
// authentication, for clients that cannot be given its certificate (a
// whole service under test).
func StartPlainSMTP(t TB) *SMTP { return startSMTP(t, "", "", false) }

func startSMTP(t TB, user, password string, withTLS bool) *SMTP {
	t.Helper()
	s, err := listenSMTP(user, password, withTLS)
	if err != nil {
		t.Fatalf("meshtest: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// NewPlainSMTP is StartPlainSMTP for a program rather than a test (the
// demo): the caller closes the server.
func NewPlainSMTP() (*SMTP, error) { return listenSMTP("", "", false) }

// Close stops the server.
func (s *SMTP) Close() error { return s.srv.Close() }

func listenSMTP(user, password string, withTLS bool) (*SMTP, error) {
	s := &SMTP{Username: user, Password: password}
	s.srv = smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &smtpSession{conn: c, srv: s}, nil
	}))
	s.srv.Domain = "localhost"
	if withTLS {
		cert, pool, err := selfSigned()
		if err != nil {
			return nil, fmt.Errorf("smtp certificate: %w", err)
		}
		s.RootCAs = pool
		s.srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("smtp listen: %w", err)
	}
	s.Addr = l.Addr().String()
	go func() { _ = s.srv.Serve(l) }()
	return s, nil
}

// SetDown makes the server refuse (true) or accept (false) mail.
func (s *SMTP) SetDown(down bool) {
	s.mu.Lock()
	s.down = down
	s.mu.Unlock()
}

// Messages returns a copy of what was accepted so far.
func (s *SMTP) Messages() []SMTPMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]SMTPMessage(nil), s.msgs...)
}

type smtpSession struct {
	conn *smtp.Conn
	srv  *SMTP
	user string
	from string
	to   []string
}

var errSMTPDown = &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "down for the test"}

func (s *smtpSession) AuthMechanisms() []string {
	if s.srv.Username == "" {
		return nil
	}
	return []string{sasl.Plain}
}

func (s *smtpSession) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != s.srv.Username || pass != s.srv.Password {
			return errors.New("invalid credentials")
		}
		s.user = user
		return nil
	}), nil
}

func (s *smtpSession) Mail(from string, _ *smtp.MailOptions) error {
	s.srv.mu.Lock()
	down := s.srv.down
	s.srv.mu.Unlock()
	if down {
		return errSMTPDown
	}
	if s.srv.Username != "" && s.user == "" {
		return smtp.ErrAuthRequired
	}
	s.from = from
	return nil
}

func (s *smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.to = append(s.to, to)
	return nil
}

func (s *smtpSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.srv.mu.Lock()
	s.srv.msgs = append(s.srv.msgs, SMTPMessage{From: s.from, To: s.to, Data: b, User: s.user, TLS: s.tls()})
	s.srv.mu.Unlock()
	return nil
}

func (s *smtpSession) Reset()        { s.from, s.to = "", nil }
func (s *smtpSession) Logout() error { return nil }

// selfSigned makes a certificate for 127.0.0.1 and localhost and a pool
// that trusts it.
func selfSigned() (tls.Certificate, *x509.CertPool, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "meshtest smtp"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, DNSNames: []string{"localhost"},
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, IsCA: true, BasicConstraintsValid: true,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool, nil
}

func (s *smtpSession) tls() bool {
	_, ok := s.conn.TLSConnectionState()
	return ok
}
