package mumble

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/keepstar/keepstar/internal/services"
	"github.com/keepstar/keepstar/internal/services/mumble/murmur"
)

// TypeName is the connector type's name, stored with its instances.
const TypeName = "mumble"

// The settings of a Mumble instance.
const (
	// SettingIceAddress is murmurd's Ice endpoint, host:port (murmurd's
	// ini: ice="tcp -h 127.0.0.1 -p 6502").
	SettingIceAddress = "ice_address"
	// SettingIceSecret is murmurd's icesecretwrite.
	SettingIceSecret = "ice_secret"
	// SettingServerID is the virtual server's id (1 on most servers).
	SettingServerID = "server_id"
	// SettingCallbackListen is where Keepstar listens for murmurd's calls
	// to its authenticator, host:port (port 0: any free port).
	SettingCallbackListen = "callback_listen"
	// SettingCallbackHost is the host murmurd reaches that listener at
	// (empty: the listen address's host, or 127.0.0.1 when that is
	// every interface).
	SettingCallbackHost = "callback_host"
	// SettingModule is the Slice module murmurd speaks: "Murmur" (up to
	// 1.4), "MumbleServer" (1.5 on), or empty to ask murmurd.
	SettingModule = "slice_module"
	// SettingPublicAddress is the server's address for members' clients,
	// host or host:port, for the mumble:// link.
	SettingPublicAddress = "public_address"
	// SettingAllowGuests lets logins Keepstar does not know through to
	// murmurd's own users and guests.
	SettingAllowGuests = "allow_guests"
)

// Defaults of the settings left empty.
const (
	defaultServerID       = 1
	defaultCallbackListen = "127.0.0.1:0"
)

// userIDOffset keeps the ids Keepstar's users get clear of murmurd's own
// registered users (SuperUser is 0; registrations count up from 1), as
// Alliance Auth's authenticator does.
const userIDOffset = 1_000_000_000

// maxNameRunes bounds display names: murmurd keeps them in its database
// and shows them in every client's channel tree.
const maxNameRunes = 128

// Type is the Mumble connector type.
func Type() services.Type {
	return services.Type{
		Name:         TypeName,
		Label:        "services.mumble.label",
		Help:         "services.mumble.help",
		Capabilities: services.Capabilities{Password: true, Groups: true, Nickname: true},
		Settings: []services.Setting{
			{Key: SettingIceAddress, Label: "services.mumble.setting.ice_address", Help: "services.mumble.setting.ice_address_help",
				Required: true, Check: checkHostPort},
			{Key: SettingIceSecret, Label: "services.mumble.setting.ice_secret", Help: "services.mumble.setting.ice_secret_help",
				Secret: true, Required: true, Check: checkSecret},
			{Key: SettingServerID, Label: "services.mumble.setting.server_id", Help: "services.mumble.setting.server_id_help",
				Check: checkServerID},
			{Key: SettingCallbackListen, Label: "services.mumble.setting.callback_listen",
				Help: "services.mumble.setting.callback_listen_help", Check: checkHostPort},
			{Key: SettingCallbackHost, Label: "services.mumble.setting.callback_host",
				Help: "services.mumble.setting.callback_host_help", Check: checkHost},
			{Key: SettingModule, Label: "services.mumble.setting.slice_module", Help: "services.mumble.setting.slice_module_help",
				Check: checkModule},
			{Key: SettingPublicAddress, Label: "services.mumble.setting.public_address",
				Help: "services.mumble.setting.public_address_help", Check: checkPublicAddress},
			{Key: SettingAllowGuests, Label: "services.mumble.setting.allow_guests",
				Help: "services.mumble.setting.allow_guests_help", Bool: true},
		},
		// Alliance Auth's default for Mumble.
		DefaultNameFormat: "[{corp_ticker}]{character_name}",
		Sanitize:          Sanitize,
		Open: func(ctx context.Context, inst services.Instance, env services.Env) (services.Connector, error) {
			return open(inst, env)
		},
		Locales: Locales,
	}
}

// Sanitize makes a name a Mumble display name: no control characters, no
// spaces at either end, at most maxNameRunes characters.
func Sanitize(name string) string {
	name = strings.TrimSpace(strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return -1
		}
		return r
	}, name))
	if utf8.RuneCountInString(name) > maxNameRunes {
		name = strings.TrimSpace(string([]rune(name)[:maxNameRunes]))
	}
	return name
}

// Username makes a character's name a login name murmurd's default rule
// accepts (letters, digits and -=_[]{}()@|.): every other character, the
// space first of all, becomes "_", as Alliance Auth does with spaces.
func Username(name string) string {
	name = strings.Map(func(r rune) rune {
		if unicode.IsLetter(r) || unicode.IsDigit(r) || strings.ContainsRune("-=_[]{}()@|.", r) {
			return r
		}
		return '_'
	}, strings.TrimSpace(name))
	if utf8.RuneCountInString(name) > maxNameRunes {
		name = string([]rune(name)[:maxNameRunes])
	}
	return name
}

// GroupName makes a group's name one Murmur's ACLs can name: spaces
// become "-", as Alliance Auth does.
func GroupName(name string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) || unicode.IsControl(r) {
			return '-'
		}
		return r
	}, name)
}

// settings are an instance's settings, read.
type settings struct {
	iceAddress     string
	secret         string
	serverID       int
	callbackListen string
	callbackHost   string
	module         murmur.Module
	publicAddress  string
	allowGuests    bool
}

func readSettings(set map[string]string) (settings, error) {
	s := settings{iceAddress: strings.TrimSpace(set[SettingIceAddress]), secret: set[SettingIceSecret],
		serverID: defaultServerID, callbackListen: strings.TrimSpace(set[SettingCallbackListen]),
		callbackHost: strings.TrimSpace(set[SettingCallbackHost]), module: murmur.Module(strings.TrimSpace(set[SettingModule])),
		publicAddress: strings.TrimSpace(set[SettingPublicAddress]), allowGuests: set[SettingAllowGuests] == "true"}
	var problems []error
	if err := checkHostPort(s.iceAddress); err != nil {
		problems = append(problems, fmt.Errorf("%s: %w", SettingIceAddress, err))
	}
	if s.secret == "" {
		problems = append(problems, fmt.Errorf("%s: murmurd's icesecretwrite is needed", SettingIceSecret))
	}
	if v := strings.TrimSpace(set[SettingServerID]); v != "" {
		if err := checkServerID(v); err != nil {
			problems = append(problems, fmt.Errorf("%s: %w", SettingServerID, err))
		}
		s.serverID, _ = strconv.Atoi(v) // checked just above
	}
	if s.callbackListen == "" {
		s.callbackListen = defaultCallbackListen
	}
	if err := checkHostPort(s.callbackListen); err != nil {
		problems = append(problems, fmt.Errorf("%s: %w", SettingCallbackListen, err))
	}
	if s.callbackHost == "" {
		host, _, _ := net.SplitHostPort(s.callbackListen)
		if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
			host = "127.0.0.1"
		}
		s.callbackHost = host
	}
	if err := checkModule(string(s.module)); err != nil {
		problems = append(problems, fmt.Errorf("%s: %w", SettingModule, err))
	}
	return s, errors.Join(problems...)
}

func checkHostPort(v string) error {
	host, port, err := net.SplitHostPort(v)
	if err != nil {
		return errors.New("give a host and a port, such as 127.0.0.1:6502")
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return errors.New("the port is a number from 0 to 65535")
	}
	return checkHost(host)
}

func checkHost(v string) error {
	if strings.ContainsFunc(v, func(r rune) bool { return r <= ' ' || r == 0x7f || r == '/' || r == '@' }) {
		return errors.New("a host name or address, without spaces, slashes or @")
	}
	return nil
}

func checkSecret(v string) error {
	if strings.ContainsFunc(v, func(r rune) bool { return r < ' ' || r == 0x7f }) {
		return errors.New("it has control characters: paste the icesecretwrite value alone")
	}
	return nil
}

func checkServerID(v string) error {
	if v == "" {
		return nil
	}
	if n, err := strconv.Atoi(v); err != nil || n < 1 {
		return errors.New("a virtual server's id is a whole number from 1 (murmurd's first server is 1)")
	}
	return nil
}

func checkModule(v string) error {
	switch murmur.Module(v) {
	case "", murmur.ModuleMurmur, murmur.ModuleMumbleServer:
		return nil
	}
	return errors.New(`either "Murmur" (Mumble up to 1.4), "MumbleServer" (1.5 on), or empty to ask the server`)
}

func checkPublicAddress(v string) error {
	if v == "" {
		return nil
	}
	if host, port, err := net.SplitHostPort(v); err == nil {
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return errors.New("the port is a number from 1 to 65535")
		}
		return checkHost(host)
	}
	return checkHost(v)
}
