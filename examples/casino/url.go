package main

import (
	"net"
	"net/netip"
)

// browseURL is the http:// URL a person (and the demo's own traffic and
// probes) can open for a listener. A listener on every interface
// (-addr :8080, 0.0.0.0:8080, [::]:8080) reports an unspecified address,
// which is no URL to open. Go's "tcp" listeners on an unspecified address
// are dual-stack (0.0.0.0 included, which Go reports as [::]), so
// 127.0.0.1 reaches every one of them.
func browseURL(addr net.Addr) string {
	return "http://" + hostPort(addr)
}

// hostPort is the host:port a client on this machine dials to reach a
// listener: 127.0.0.1 for one on every interface.
func hostPort(addr net.Addr) string {
	ap, err := netip.ParseAddrPort(addr.String())
	if err != nil {
		return addr.String()
	}
	ip := ap.Addr()
	if ip.Unmap().IsUnspecified() {
		ip = netip.AddrFrom4([4]byte{127, 0, 0, 1})
	}
	return netip.AddrPortFrom(ip.Unmap(), ap.Port()).String()
}
