// Package redact strips credentials from text before it reaches an HTTP
// response, a log line or a notification. Every error string igmon shows to
// a person passes through String.
package redact

import (
	"regexp"
	"strings"
)

// Mask replaces every secret that String removes.
const Mask = "REDACTED"

var (
	// scheme://user:pass@host or scheme://token@host
	urlUserinfo = regexp.MustCompile(`([a-zA-Z][a-zA-Z0-9+.\-]*://)[^/\s@'"]+@`)
	// key=value / key: value pairs whose key names a secret. The value
	// runs to the next separator; quoted values are handled too.
	keyValue = regexp.MustCompile(`(?i)((?:password|passwd|pwd|secret|token|access_token|refresh_token|api_key|apikey|api-key|x-api-key|client_secret|private_key|routing_key|sslpassword)["']?\s*[=:]\s*)("[^"]*"|'[^']*'|[^\s&;,'"]+)`)
	// Authorization / Proxy-Authorization header values, with or without a scheme word.
	authHeader = regexp.MustCompile(`(?i)((?:proxy-)?authorization\s*[:=]\s*)(?:(basic|bearer|token|digest)\s+)?("[^"]*"|[^\s,;"]+)`)
	// Bare bearer tokens that appear without a header name.
	bearer = regexp.MustCompile(`(?i)(\bbearer\s+)[a-z0-9\-._~+/]+=*`)
)

// String returns s with credentials replaced by Mask: userinfo in URLs and
// DSNs, values of password=, token=, api_key=/apikey= and similar keys, and
// Authorization header values.
func String(s string) string {
	if s == "" || !mayContainSecret(s) {
		return s
	}
	s = urlUserinfo.ReplaceAllString(s, "${1}"+Mask+"@")
	s = authHeader.ReplaceAllStringFunc(s, func(m string) string {
		sub := authHeader.FindStringSubmatch(m)
		if sub[2] != "" {
			return sub[1] + sub[2] + " " + Mask
		}
		return sub[1] + Mask
	})
	s = keyValue.ReplaceAllString(s, "${1}"+Mask)
	s = bearer.ReplaceAllString(s, "${1}"+Mask)
	return s
}

// Error returns the redacted text of err, or "" for a nil error.
func Error(err error) string {
	if err == nil {
		return ""
	}
	return String(err.Error())
}

// mayContainSecret is a cheap pre-filter so that ordinary error strings do
// not pay for four regular expressions.
func mayContainSecret(s string) bool {
	return strings.ContainsAny(s, "@=:") || strings.Contains(strings.ToLower(s), "bearer")
}
