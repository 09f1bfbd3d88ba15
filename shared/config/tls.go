package config

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
	"path/filepath"
)

// TLS is a listener's certificate: ingress.tls and admin.tls. Paths are
// relative to the config file. A reload (SIGHUP) reads the files again,
// so a renewed certificate is served without a restart.
type TLS struct {
	CertFile string `yaml:"cert_file"`
	KeyFile  string `yaml:"key_file"`
	// ClientCAFile (admin only) makes the listener require a client
	// certificate signed by one of these CAs (mTLS), besides the token.
	ClientCAFile string `yaml:"client_ca_file"`
}

// resolveTLSPaths makes relative TLS file paths relative to the config
// file's directory, as file: secrets are.
func (f *File) resolveTLSPaths() {
	dir := filepath.Dir(f.Path)
	for _, t := range []*TLS{f.Ingress.TLS, f.Admin.TLS} {
		if t == nil {
			continue
		}
		for _, p := range []*string{&t.CertFile, &t.KeyFile, &t.ClientCAFile} {
			if *p != "" && !filepath.IsAbs(*p) {
				*p = filepath.Join(dir, *p)
			}
		}
	}
}

// Certificate loads the key pair of t.
func (t *TLS) Certificate() (*tls.Certificate, error) {
	c, err := tls.LoadX509KeyPair(t.CertFile, t.KeyFile)
	if err != nil {
		return nil, fmt.Errorf("cannot load the key pair: %w", err)
	}
	return &c, nil
}

// ClientCAs loads t's client CA pool; nil when t has none.
func (t *TLS) ClientCAs() (*x509.CertPool, error) {
	if t.ClientCAFile == "" {
		return nil, nil
	}
	pem, err := os.ReadFile(t.ClientCAFile)
	if err != nil {
		return nil, fmt.Errorf("client_ca_file: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("client_ca_file %s: no PEM certificate in it", t.ClientCAFile)
	}
	return pool, nil
}

// tls checks a listener's TLS section: both files given and loadable, so
// a bad certificate stops start-up, or keeps the old one on a reload,
// instead of failing every handshake.
func (v *validator) tls(t *TLS, path string, clientCA bool) {
	if t == nil {
		return
	}
	if t.CertFile == "" {
		v.add(path+".cert_file", "required")
	}
	if t.KeyFile == "" {
		v.add(path+".key_file", "required")
	}
	if t.CertFile != "" && t.KeyFile != "" {
		if _, err := t.Certificate(); err != nil {
			v.add(path, "%v", err)
		}
	}
	if t.ClientCAFile != "" && !clientCA {
		v.add(path+".client_ca_file", "client_ca_file applies to admin.tls only")
	} else if _, err := t.ClientCAs(); err != nil {
		v.add(path+".client_ca_file", "%v", err)
	}
}
