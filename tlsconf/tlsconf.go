// Package tlsconf owns fulcrum's TLS settings: server certificates chosen by SNI (exact
// names, then wildcards, then the default), modern versions and cipher suites, client
// certificate verification, and TLS to backends. It builds crypto/tls configurations from
// config and knows nothing of HTTP beyond the ALPN names it offers.
package tlsconf

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/fulcrum-lb/fulcrum/config"
)

// ALPN names offered by https listeners, most preferred first.
var ALPN = []string{"h2", "http/1.1"}

// modernCiphers are the TLS 1.2 suites allowed: ECDHE key exchange with AEAD only. TLS 1.3
// suites are not configurable and are all modern.
var modernCiphers = []uint16{
	tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
	tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
	tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
}

// Certs is a loaded set of server certificates, indexed by the names they cover.
type Certs struct {
	def      *tls.Certificate
	exact    map[string]*tls.Certificate // lower-case DNS name
	wildcard map[string]*tls.Certificate // ".example.com" for *.example.com
}

// LoadCerts reads every certificate and key of an https listener. The first certificate is
// the default.
func LoadCerts(list []config.Certificate) (*Certs, error) {
	if len(list) == 0 {
		return nil, errors.New("no certificates")
	}
	cs := &Certs{exact: map[string]*tls.Certificate{}, wildcard: map[string]*tls.Certificate{}}
	for _, c := range list {
		cert, err := tls.LoadX509KeyPair(c.Cert, c.Key)
		if err != nil {
			return nil, fmt.Errorf("certificate %s: %w", c.Cert, err)
		}
		cs.add(&cert)
	}
	return cs, nil
}

// add indexes cert under its DNS names; earlier certificates win a name both cover.
func (cs *Certs) add(cert *tls.Certificate) {
	if cs.def == nil {
		cs.def = cert
	}
	for _, name := range cert.Leaf.DNSNames {
		name = strings.ToLower(name)
		if suffix, ok := strings.CutPrefix(name, "*"); ok {
			setOnce(cs.wildcard, suffix, cert)
		} else {
			setOnce(cs.exact, name, cert)
		}
	}
}

func setOnce(m map[string]*tls.Certificate, k string, v *tls.Certificate) {
	if _, ok := m[k]; !ok {
		m[k] = v
	}
}

// For returns the certificate for a server name: an exact name, else a wildcard covering
// its first label, else the default.
func (cs *Certs) For(serverName string) *tls.Certificate {
	name := strings.ToLower(strings.TrimSuffix(serverName, "."))
	if c, ok := cs.exact[name]; ok {
		return c
	}
	if i := strings.IndexByte(name, '.'); i > 0 {
		if c, ok := cs.wildcard[name[i:]]; ok {
			return c
		}
	}
	return cs.def
}

// ServerConfig builds an https listener's TLS configuration: its certificates by SNI,
// TLS 1.2 (or min_version) and up with modern suites, ALPN h2 and http/1.1, and client
// certificate verification when client_ca is set.
func ServerConfig(lt *config.ListenerTLS) (*tls.Config, error) {
	certs, err := LoadCerts(lt.Certificates)
	if err != nil {
		return nil, err
	}
	cfg := &tls.Config{
		MinVersion:   tls.VersionTLS12,
		CipherSuites: modernCiphers,
		NextProtos:   ALPN,
		GetCertificate: func(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
			return certs.For(hello.ServerName), nil
		},
	}
	if lt.MinVersion == "1.3" {
		cfg.MinVersion = tls.VersionTLS13
	}
	if lt.ClientCA != "" {
		pool, err := loadPool(lt.ClientCA)
		if err != nil {
			return nil, err
		}
		cfg.ClientCAs, cfg.ClientAuth = pool, tls.RequireAndVerifyClientCert
	}
	return cfg, nil
}

// ClientConfig builds the TLS configuration for a pool's backend connections; nil bt means
// cleartext and gives nil. alpn lists the protocols to offer.
func ClientConfig(bt *config.BackendTLS, alpn []string) (*tls.Config, error) {
	if bt == nil {
		return nil, nil
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: bt.ServerName,
		InsecureSkipVerify: bt.InsecureSkipVerify, NextProtos: alpn}
	if bt.CA != "" {
		pool, err := loadPool(bt.CA)
		if err != nil {
			return nil, err
		}
		cfg.RootCAs = pool
	}
	return cfg, nil
}

func loadPool(file string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("%s holds no PEM certificate", file)
	}
	return pool, nil
}
