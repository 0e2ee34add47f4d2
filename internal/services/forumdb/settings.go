package forumdb

import (
	"errors"
	"fmt"
	"net"
	"regexp"
	"strconv"
	"strings"
)

// The settings keys of a forum instance, the same for every forum type.
const (
	// SettingAddress is the database server, host:port.
	SettingAddress = "db_address"
	// SettingDatabase is the forum's database (schema) name.
	SettingDatabase = "db_name"
	// SettingUser and SettingPassword are the MySQL account Keepstar
	// uses; the password is a secret.
	SettingUser     = "db_user"
	SettingPassword = "db_password"
	// SettingPrefix is the forum's table prefix (phpbb_, smf_).
	SettingPrefix = "table_prefix"
	// SettingCreateGroups makes forum groups a mapping names when the
	// forum lacks them.
	SettingCreateGroups = "create_groups"
	// SettingAvatar sets the main character's EVE portrait as avatar.
	SettingAvatar = "avatar"
	// SettingDefaultGroup is the forum group new users get as their
	// primary group (phpBB: REGISTERED; SMF: none, "Regular Members").
	SettingDefaultGroup = "default_group"
)

// Settings are a forum instance's settings, read.
type Settings struct {
	Address, Database, User, Password string
	Prefix                            string
	CreateGroups, Avatar              bool
	DefaultGroup                      string
}

// Read reads and checks an instance's settings; defaultPrefix is the
// forum's own default table prefix, used when the setting is empty. Every
// problem is reported at once.
func Read(set map[string]string, defaultPrefix string) (Settings, error) {
	s := Settings{Address: strings.TrimSpace(set[SettingAddress]), Database: strings.TrimSpace(set[SettingDatabase]),
		User: strings.TrimSpace(set[SettingUser]), Password: set[SettingPassword], Prefix: strings.TrimSpace(set[SettingPrefix]),
		CreateGroups: set[SettingCreateGroups] == "true", Avatar: set[SettingAvatar] == "true",
		DefaultGroup: strings.TrimSpace(set[SettingDefaultGroup])}
	if _, ok := set[SettingPrefix]; !ok || s.Prefix == "" {
		s.Prefix = defaultPrefix
	}
	var problems []error
	check := func(key string, err error) {
		if err != nil {
			problems = append(problems, fmt.Errorf("%s: %w", key, err))
		}
	}
	check(SettingAddress, CheckAddress(s.Address))
	check(SettingDatabase, CheckDatabase(s.Database))
	check(SettingUser, CheckUser(s.User))
	check(SettingPassword, CheckPassword(s.Password))
	check(SettingPrefix, CheckPrefix(s.Prefix))
	check(SettingDefaultGroup, CheckGroupName(s.DefaultGroup))
	return s, errors.Join(problems...)
}

// CheckAddress accepts host:port.
func CheckAddress(v string) error {
	host, port, err := net.SplitHostPort(v)
	if err != nil || host == "" {
		return errors.New("give the database server's host and port, such as 127.0.0.1:3306")
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return errors.New("the port is a number from 1 to 65535")
	}
	if strings.ContainsFunc(host, func(r rune) bool { return r <= ' ' || r == 0x7f || r == '/' || r == '@' || r == '(' || r == ')' }) {
		return errors.New("a host name or address, without spaces, slashes, brackets or @")
	}
	return nil
}

var databaseName = regexp.MustCompile(`^[A-Za-z0-9_$]{1,64}$`)

// CheckDatabase accepts a database name MySQL takes unquoted.
func CheckDatabase(v string) error {
	if !databaseName.MatchString(v) {
		return errors.New("a database name of 1 to 64 letters, digits, _ or $")
	}
	return nil
}

// CheckUser accepts a MySQL user name (at most 80 characters: MariaDB's
// limit; MySQL's is 32).
func CheckUser(v string) error {
	if v == "" || len([]rune(v)) > 80 || strings.ContainsFunc(v, func(r rune) bool { return r < ' ' || r == 0x7f || r == '@' }) {
		return errors.New("a database user name, without @ or control characters, at most 80 characters")
	}
	return nil
}

// CheckPassword refuses control characters (a pasted line break).
func CheckPassword(v string) error {
	if strings.ContainsFunc(v, func(r rune) bool { return r < ' ' || r == 0x7f }) {
		return errors.New("it has control characters: paste the password alone")
	}
	return nil
}

var tablePrefix = regexp.MustCompile(`^[A-Za-z0-9_]{0,32}$`)

// CheckPrefix accepts a table prefix: it is written into every statement's
// table names, so only letters, digits and _ are allowed.
func CheckPrefix(v string) error {
	if !tablePrefix.MatchString(v) {
		return errors.New("a table prefix is at most 32 letters, digits or _")
	}
	return nil
}

// CheckGroupName accepts a forum group's name (empty: the default).
func CheckGroupName(v string) error {
	if len([]rune(v)) > 80 || strings.ContainsFunc(v, func(r rune) bool { return r < ' ' || r == 0x7f }) {
		return errors.New("a group name of at most 80 characters, without control characters")
	}
	return nil
}
