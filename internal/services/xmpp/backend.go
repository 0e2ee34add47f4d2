package xmpp

import (
	"context"
	"errors"
)

// backend is what the connector asks of an XMPP server's admin API. user
// is a JID's local part, groups are the server's names (GroupName).
type backend interface {
	// register makes the user; errExists when the name is taken.
	register(ctx context.Context, user, password string) error
	// exists reports whether the user is on the server.
	exists(ctx context.Context, user string) (bool, error)
	// setPassword changes it; services.ErrGone when there is no such user.
	setPassword(ctx context.Context, user, password string) error
	// lock makes logins fail and ends the user's live sessions; a user
	// that does not exist is no error.
	lock(ctx context.Context, user, reason string) error
	// unlock undoes lock (setPassword follows it).
	unlock(ctx context.Context, user string) error
	// addGroups and removeGroups change the user's groups; groups that do
	// not exist yet are made by addGroups.
	addGroups(ctx context.Context, user string, groups []string) error
	removeGroups(ctx context.Context, user string, groups []string) error
	// groups lists the server's groups.
	groups(ctx context.Context) ([]string, error)
	// send sends a chat message from the sender to the bare JID to;
	// errNotDelivered when the server refused that one message.
	send(ctx context.Context, to, message string) error
	// check tries the API with the instance's credentials.
	check(ctx context.Context) error
}

var (
	// errExists: the user name is taken on the server.
	errExists = errors.New("xmpp: the user exists on the server")
	// errNotDelivered: the server refused one message.
	errNotDelivered = errors.New("xmpp: the server did not take the message")
	// errCredentials: the API refused Keepstar's credentials.
	errCredentials = errors.New("xmpp: the server's API refused Keepstar's credentials")
	// errAdminExtra: ejabberd answers without mod_admin_extra's commands.
	errAdminExtra = errors.New("xmpp: ejabberd's API lacks mod_admin_extra's commands: enable mod_admin_extra")
	// errNoPing: the backend cannot send to chosen members.
	errNoPing = errors.New("xmpp: Openfire's REST API plugin cannot send a message to chosen users")
)
