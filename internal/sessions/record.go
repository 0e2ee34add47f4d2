package sessions

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// record gives what a session keeps of its client, coarsely: addresses are
// personal data, so only the network is kept (an IPv4 address's /24, an
// IPv6 address's /48), and of the User-Agent only the browser and the
// system it names. That is enough for a member to tell their sessions
// apart (Firefox, Windows, 203.0.113.0/24) and too little to follow
// anyone.
func (m *Manager) record(r *http.Request) (address, agent string) {
	var a netip.Addr
	if m.address != nil {
		a = m.address(r)
	} else if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		a, _ = netip.ParseAddr(host)
	}
	return Network(a), Agent(r.UserAgent())
}

// Network gives the network a session's address is recorded as: the /24
// of an IPv4 address, the /48 of an IPv6 one; "" for none.
func Network(a netip.Addr) string {
	if !a.IsValid() {
		return ""
	}
	a = a.Unmap().WithZone("")
	bits := 24
	if a.Is6() {
		bits = 48
	}
	return netip.PrefixFrom(a, bits).Masked().String()
}

// Agent summarises a User-Agent as "browser/system" ("Firefox/Linux"),
// either part empty when unknown. The page words it in the member's
// language.
func Agent(ua string) string {
	browser := firstMatch(ua, []namedMarker{
		{"Edge", "Edg"}, {"Opera", "OPR/"}, {"Firefox", "Firefox/"}, {"Firefox", "FxiOS/"},
		{"Chrome", "Chrome/"}, {"Chrome", "CriOS/"}, {"Safari", "Safari/"},
	})
	system := firstMatch(ua, []namedMarker{
		{"iOS", "iPhone"}, {"iOS", "iPad"}, {"Android", "Android"}, {"ChromeOS", "CrOS"},
		{"Windows", "Windows"}, {"macOS", "Mac OS X"}, {"Linux", "Linux"},
	})
	return browser + "/" + system
}

type namedMarker struct{ name, marker string }

// firstMatch gives the name of the first marker ua contains: the order
// matters, as browsers name the ones they imitate (Chrome says Safari, Edge
// says Chrome, iOS says Mac OS X, Android says Linux).
func firstMatch(ua string, list []namedMarker) string {
	for _, m := range list {
		if strings.Contains(ua, m.marker) {
			return m.name
		}
	}
	return ""
}
