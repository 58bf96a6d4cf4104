package testenv

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// PKI is a throw-away certificate authority for one test, with a server
// certificate for 127.0.0.1 and localhost, a client certificate, and a client
// certificate from another CA; every file is PEM in a temp dir.
type PKI struct {
	CAFile                    string // the CA certificate
	ServerCert, ServerKey     string
	ClientCert, ClientKey     string
	StrangerCert, StrangerKey string // signed by a CA nobody trusts
	Pool                      *x509.CertPool
	ServerPair                tls.Certificate
}

// NewPKI writes a fresh PKI into a temp dir of t.
func NewPKI(t testing.TB) *PKI {
	t.Helper()
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	p := &PKI{Pool: x509.NewCertPool()}
	ca, caKey, caPEM := issue(t, nil, nil, "Rostersync test CA", true)
	p.CAFile = write("ca.pem", caPEM)
	p.Pool.AddCert(ca)
	_, k, c := issue(t, ca, caKey, "server.test", false)
	p.ServerCert, p.ServerKey = write("server.pem", c), write("server.key", keyPEM(t, k))
	_, k, c = issue(t, ca, caKey, "rostersync-worker", false)
	p.ClientCert, p.ClientKey = write("client.pem", c), write("client.key", keyPEM(t, k))
	other, otherKey, _ := issue(t, nil, nil, "Someone else's CA", true)
	_, k, c = issue(t, other, otherKey, "stranger", false)
	p.StrangerCert, p.StrangerKey = write("stranger.pem", c), write("stranger.key", keyPEM(t, k))
	var err error
	if p.ServerPair, err = tls.LoadX509KeyPair(p.ServerCert, p.ServerKey); err != nil {
		t.Fatal(err)
	}
	return p
}

// issue makes a certificate signed by parent (self-signed when parent is nil).
func issue(t testing.TB, parent *x509.Certificate, parentKey *ecdsa.PrivateKey, cn string, isCA bool) (*x509.Certificate, *ecdsa.PrivateKey, []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: cn},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		DNSNames:     []string{"localhost", cn},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
	}
	if isCA {
		tmpl.IsCA, tmpl.BasicConstraintsValid = true, true
		tmpl.KeyUsage |= x509.KeyUsageCertSign
		tmpl.DNSNames, tmpl.IPAddresses, tmpl.ExtKeyUsage = nil, nil, nil
	}
	signer, signerKey := tmpl, key
	if parent != nil {
		signer, signerKey = parent, parentKey
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, signer, &key.PublicKey, signerKey)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return cert, key, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

func keyPEM(t testing.TB, k *ecdsa.PrivateKey) []byte {
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
}
