package exporters

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"os"
)

// maxPEMFile bounds what is read from a TLS file named in the
// environment: a CA bundle is tens of kilobytes, not megabytes.
const maxPEMFile = 1 << 20

// tlsFromEnv builds the TLS configuration that the CERTIFICATE,
// CLIENT_CERTIFICATE and CLIENT_KEY variables describe, or returns nil when
// none is set. The SDK would read these itself, but igmon always passes its
// own credentials to the exporter (TLS by default), which overrides the
// SDK's environment handling; so igmon honours them here.
func tlsFromEnv(env envConfig) (*tls.Config, error) {
	if env.caFile == "" && env.certFile == "" {
		return nil, nil
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if env.caFile != "" {
		pem, err := readPEMFile(env.caFile)
		if err != nil {
			return nil, &envError{Var: env.caVar, Err: err}
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, &envError{Var: env.caVar, Err: errors.New("file holds no PEM certificate")}
		}
		cfg.RootCAs = pool
	}
	if env.certFile != "" {
		certPEM, err := readPEMFile(env.certFile)
		if err != nil {
			return nil, &envError{Var: env.certVar, Err: err}
		}
		keyPEM, err := readPEMFile(env.keyFile)
		if err != nil {
			return nil, &envError{Var: env.keyVar, Err: err}
		}
		pair, err := tls.X509KeyPair(certPEM, keyPEM)
		if err != nil {
			// The error text of X509KeyPair never quotes key material.
			return nil, &envError{Var: env.certVar, Err: fmt.Errorf("with %s: %w", env.keyVar, err)}
		}
		cfg.Certificates = []tls.Certificate{pair}
	}
	return cfg, nil
}

func readPEMFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err // *fs.PathError names the file; a path is no secret
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxPEMFile+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	if len(b) > maxPEMFile {
		return nil, fmt.Errorf("%s is larger than %d bytes", path, maxPEMFile)
	}
	return b, nil
}
