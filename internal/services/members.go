package services

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"html/template"
	"net/url"
	"strings"

	"github.com/keepstar/keepstar/internal/store"
)

// Errors of a member's actions.
var (
	// ErrNoAccess: the member may not use the service (or it is off).
	ErrNoAccess = errors.New("services: you may not use this service")
	// ErrLinked: the member already has an account there.
	ErrLinked = errors.New("services: you already have an account on this service")
	// ErrUnsupported: the service's type cannot do that.
	ErrUnsupported = errors.New("services: this service cannot do that")
)

// Offer is one instance on a member's Services page.
type Offer struct {
	Instance Instance
	Type     Type
	Account  *Account // nil: not linked or activated
	// JoinURL takes the member to the service (Joiner): a mumble:// or
	// ts3server:// link; "" for none. It is a template.URL because
	// html/template lets only http(s) and mailto through; joinURL checks
	// the scheme instead.
	JoinURL template.URL
}

// Offers lists the enabled instances the account may use, with its
// service account on each, and its service accounts on instances it may
// no longer use (their removal is under way).
func (s *Services) Offers(ctx context.Context, accountID int64) ([]Offer, error) {
	list, err := s.inst.List(ctx)
	if err != nil {
		return nil, err
	}
	f, err := readFacts(ctx, s.db, accountID)
	if err != nil {
		return nil, err
	}
	mine, err := s.AccountsOf(ctx, accountID)
	if err != nil {
		return nil, err
	}
	var out []Offer
	for _, inst := range list {
		acct, linked := mine[inst.ID]
		if !inst.Enabled || (!f.allowed(inst) && !linked) {
			continue
		}
		o := Offer{Instance: inst, Type: s.types[inst.Type]}
		if linked {
			o.Account = &acct
			o.JoinURL = s.joinURL(ctx, inst, acct)
		} else if o.Type.Capabilities.SSOProvider {
			// The account is made by logging in there: the link starts it.
			o.JoinURL = s.joinURL(ctx, inst, Account{})
		}
		out = append(out, o)
	}
	return out, nil
}

// joinURL gives a service account's link to the service, when its
// connector has one; a connector that cannot be opened has none (the
// page still shows the rest).
func (s *Services) joinURL(ctx context.Context, inst Instance, acct Account) template.URL {
	conn, err := s.connector(ctx, inst)
	if err != nil {
		s.logger.WarnContext(ctx, "service link unavailable", "service", inst.Slug, "error", err)
		return ""
	}
	j, ok := conn.(Joiner)
	if !ok {
		return ""
	}
	link := j.JoinURL(acct)
	if link == "" {
		return ""
	}
	if u, err := url.Parse(link); err != nil || !joinSchemes[strings.ToLower(u.Scheme)] {
		s.logger.ErrorContext(ctx, "service join link refused", "service", inst.Slug, "error", err)
		return ""
	}
	return template.URL(link)
}

// joinSchemes are the links a Services page may show: the voice clients'
// own and the web's; never javascript: or data:.
var joinSchemes = map[string]bool{"mumble": true, "ts3server": true, "https": true, "http": true}

// usable gives an instance a member may use now, with the want they get.
func (s *Services) usable(ctx context.Context, slug string, accountID int64) (Instance, Type, Want, error) {
	inst, err := s.inst.BySlug(ctx, slug)
	if err != nil {
		return inst, Type{}, Want{}, err
	}
	f, err := readFacts(ctx, s.db, accountID)
	if err != nil {
		return inst, Type{}, Want{}, err
	}
	if !inst.Enabled || !f.allowed(inst) {
		return inst, Type{}, Want{}, ErrNoAccess
	}
	t := s.types[inst.Type]
	v, err := readVocabulary(ctx, s.db)
	if err != nil {
		return inst, t, Want{}, err
	}
	want, err := f.want(inst, t, v)
	return inst, t, want, err
}

// LinkURL gives where a member's browser goes to link an account on an
// OAuth2 instance; state binds the answer to their session.
func (s *Services) LinkURL(ctx context.Context, slug string, accountID int64, state, callback string) (string, error) {
	inst, t, _, err := s.usable(ctx, slug, accountID)
	if err != nil {
		return "", err
	}
	if !t.Capabilities.OAuthLink {
		return "", ErrUnsupported
	}
	if _, err := s.account(ctx, s.db, inst.ID, accountID); err == nil {
		return "", ErrLinked
	}
	conn, err := s.connector(ctx, inst)
	if err != nil {
		return "", err
	}
	linker, ok := conn.(Linker)
	if !ok {
		return "", ErrUnsupported
	}
	return linker.AuthorizeURL(state, callback), nil
}

// Link finishes a member's OAuth2 link: the connector exchanges the code
// and gives them the service with what they should have; the link is
// recorded and logged.
func (s *Services) Link(ctx context.Context, slug string, accountID int64, code, callback string) (Account, error) {
	inst, _, want, err := s.usable(ctx, slug, accountID)
	if err != nil {
		return Account{}, err
	}
	if _, err := s.account(ctx, s.db, inst.ID, accountID); err == nil {
		return Account{}, ErrLinked
	}
	conn, err := s.connector(ctx, inst)
	if err != nil {
		return Account{}, err
	}
	linker, ok := conn.(Linker)
	if !ok {
		return Account{}, ErrUnsupported
	}
	want.Reason = "linked by the member"
	acct, err := linker.Link(ctx, code, callback, want)
	if err != nil {
		return Account{}, err
	}
	return s.record(ctx, inst, accountID, acct, want, ActionLink)
}

// record stores a new service account the connector made, unless its
// external account is another member's here.
func (s *Services) record(ctx context.Context, inst Instance, accountID int64, acct Account, want Want, action string) (Account, error) {
	acct.InstanceID, acct.AccountID = inst.ID, accountID
	acct.Name, acct.Groups, acct.Status = want.Name, want.Groups, StatusOK
	now := s.now()
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		var other int64
		err := tx.QueryRow(ctx, `SELECT account_id FROM service_accounts WHERE instance_id = $1 AND external_id = $2`, inst.ID, acct.ExternalID).Scan(&other)
		if err == nil && other != accountID {
			return ErrTaken
		}
		if err != nil && !errors.Is(err, store.ErrNoRows) {
			return fmt.Errorf("services: link: %w", err)
		}
		if err := insertAccount(ctx, tx, acct, now); err != nil {
			return err
		}
		return audit(ctx, tx, Entry{InstanceID: inst.ID, AccountID: accountID, Action: action, Detail: describe(Account{}, want),
			Reason: "member", ActorID: accountID, At: now})
	})
	if err != nil {
		return Account{}, err
	}
	s.logger.InfoContext(ctx, "service account linked", "service", inst.Slug, "account", accountID)
	// The member's groups may have changed between the want and now: a
	// sync catches up, and does nothing if not.
	if _, err := s.SyncAccount(ctx, inst.ID, accountID, reasonLinked); err != nil {
		return acct, err
	}
	return acct, nil
}

// Activate makes a member's account on a password instance, and gives
// the password, to be shown once; on an invitation instance it makes the
// invitation (no password: the Services page shows the join link).
func (s *Services) Activate(ctx context.Context, slug string, accountID int64) (Account, string, error) {
	inst, t, want, err := s.usable(ctx, slug, accountID)
	if err != nil {
		return Account{}, "", err
	}
	if !t.Capabilities.Password && !t.Capabilities.Invite {
		return Account{}, "", ErrUnsupported
	}
	if _, err := s.account(ctx, s.db, inst.ID, accountID); err == nil {
		return Account{}, "", ErrLinked
	}
	conn, err := s.connector(ctx, inst)
	if err != nil {
		return Account{}, "", err
	}
	if t.Capabilities.Invite {
		inv, ok := conn.(Inviter)
		if !ok {
			return Account{}, "", ErrUnsupported
		}
		want.Reason = "activated by the member"
		acct, err := inv.Invite(ctx, want)
		if err != nil {
			return Account{}, "", err
		}
		acct, err = s.record(ctx, inst, accountID, acct, want, ActionLink)
		return acct, "", err
	}
	pm, ok := conn.(PasswordManager)
	if !ok {
		return Account{}, "", ErrUnsupported
	}
	password := NewPassword()
	want.Reason = "activated by the member"
	acct, err := pm.Create(ctx, want, password)
	if err != nil {
		return Account{}, "", err
	}
	acct, err = s.record(ctx, inst, accountID, acct, want, ActionLink)
	return acct, password, err
}

// SetPassword sets a member's password on a password instance; an empty
// password makes a new one. It gives the service account and the
// password, to be shown once.
func (s *Services) SetPassword(ctx context.Context, slug string, accountID int64, password string) (Account, string, error) {
	inst, t, _, err := s.usable(ctx, slug, accountID)
	if err != nil {
		return Account{}, "", err
	}
	if !t.Capabilities.Password {
		return Account{}, "", ErrUnsupported
	}
	acct, err := s.account(ctx, s.db, inst.ID, accountID)
	if err != nil {
		return Account{}, "", err
	}
	conn, err := s.connector(ctx, inst)
	if err != nil {
		return Account{}, "", err
	}
	pm, ok := conn.(PasswordManager)
	if !ok {
		return Account{}, "", ErrUnsupported
	}
	detail := "set by the member"
	if password == "" {
		password, detail = NewPassword(), "reset"
	}
	if err := pm.SetPassword(ctx, acct, password); err != nil {
		return Account{}, "", s.failed(ctx, inst, acct, ActionPassword, detail, "member", err)
	}
	err = audit(ctx, s.db, Entry{InstanceID: inst.ID, AccountID: accountID, Action: ActionPassword, Detail: detail, Reason: "member",
		ActorID: accountID, At: s.now()})
	return acct, password, err
}

// SSO answers a service's single sign-on request for a member who may use
// it: the connector checks the request and signs them in there with what
// they should have, their service account is recorded (made at the first
// sign-in) and the browser is sent where the connector says.
func (s *Services) SSO(ctx context.Context, slug string, accountID int64, query url.Values) (string, error) {
	inst, t, want, err := s.usable(ctx, slug, accountID)
	if err != nil {
		return "", err
	}
	if !t.Capabilities.SSOProvider {
		return "", ErrUnsupported
	}
	conn, err := s.connector(ctx, inst)
	if err != nil {
		return "", err
	}
	p, ok := conn.(SSOProvider)
	if !ok {
		return "", ErrUnsupported
	}
	acct, err := s.account(ctx, s.db, inst.ID, accountID)
	linked := err == nil
	if err != nil && !errors.Is(err, ErrNoAccount) {
		return "", err
	}
	want.Reason = "signed in by the member"
	to, next, err := p.SSOAnswer(ctx, query, want, acct)
	if err != nil {
		return "", err
	}
	if !linked {
		_, err = s.record(ctx, inst, accountID, next, want, ActionLink)
		return to, err
	}
	// The answer carried the name and groups: they are what the service
	// has now.
	if acct.Status == StatusOK && acct.Name == want.Name && equalGroups(acct.Groups, want.Groups) && next.State == acct.State &&
		next.ExternalName == acct.ExternalName {
		return to, nil
	}
	next.InstanceID, next.AccountID, next.ExternalID = acct.InstanceID, acct.AccountID, acct.ExternalID
	next.Name, next.Groups = want.Name, want.Groups
	now := s.now()
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		if err := saveApplied(ctx, tx, next, acct.wanted, now); err != nil {
			return err
		}
		return audit(ctx, tx, Entry{InstanceID: inst.ID, AccountID: accountID, Action: ActionUpdate, Detail: describe(acct, want),
			Reason: "member", ActorID: accountID, At: now})
	})
	return to, err
}

// Refresh queues a sync of a member's service account on an instance
// they may use: the connector looks again (an invitation redeemed).
func (s *Services) Refresh(ctx context.Context, slug string, accountID int64) error {
	inst, _, _, err := s.usable(ctx, slug, accountID)
	if err != nil {
		return err
	}
	if _, err := s.account(ctx, s.db, inst.ID, accountID); err != nil {
		return err
	}
	_, err = s.SyncAccount(ctx, inst.ID, accountID, reasonChecked)
	return err
}

// reasonLinked and reasonChecked are the reasons of the sync that follows
// a link or an activation (record) and of one the member asked for
// (Refresh). On an invitation type either asks the connector even when
// the account looks right here, as the invitation may have been redeemed
// since (a "check now" coalesced with the activation's sync names the
// activation).
const (
	reasonLinked  = "linked"
	reasonChecked = "checked by the member"
)

// Deactivate removes a member's account on an instance at their request.
func (s *Services) Deactivate(ctx context.Context, slug string, accountID int64) error {
	inst, err := s.inst.BySlug(ctx, slug)
	if err != nil {
		return err
	}
	acct, err := s.account(ctx, s.db, inst.ID, accountID)
	if err != nil {
		return err
	}
	return s.remove(ctx, inst, acct, "deactivated by the member", accountID)
}

// NewPassword makes a random password: 20 characters of crypto/rand's
// base32 text (100 bits), which has no characters read alike.
func NewPassword() string {
	return rand.Text()[:20]
}
