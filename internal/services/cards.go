package services

import (
	"context"
	"net/url"

	"github.com/keepstar/keepstar/internal/feature"
	"github.com/keepstar/keepstar/internal/i18n"
)

// Cards are the services on a member's dashboard (feature.Feature.Cards):
// a card per instance they may use, saying whether they have an account
// there and, when its last change failed, why, so that a member sees what
// is wrong before wondering why a role is missing.
//
// A site without an enabled service costs one statement here: the
// dashboard is every member's first page.
func (s *Services) Cards(ctx context.Context, accountID int64) ([]feature.Card, error) {
	if ok, err := s.anyEnabled(ctx); err != nil || !ok {
		return nil, err
	}
	offers, err := s.Offers(ctx, accountID)
	if err != nil {
		return nil, err
	}
	out := make([]feature.Card, 0, len(offers))
	for _, o := range offers {
		out = append(out, card(o))
	}
	return out, nil
}

// card is one offer's card. It leads to the instance on the Services page,
// where its buttons are; a service linked through OAuth2 leads straight
// to the link, a GET the Services page's own button makes too.
func card(o Offer) feature.Card {
	slug := o.Instance.Slug
	c := feature.Card{Title: o.Instance.Name, Kind: "service", Path: "/services#service-" + slug}
	acct := o.Account
	switch {
	case acct != nil && acct.Status == StatusError:
		c.Status, c.Args, c.Problem = "services.card.problem", []any{"Error", acct.LastError}, true
	case acct != nil:
		c.Status, c.Args = "services.card.linked", []any{"Name", i18n.IsolateBidi(acct.ExternalName)}
	case o.Type.Capabilities.OAuthLink:
		c.Status, c.Action = "services.card.not_linked", "services.card.link"
		c.Path = "/services/" + url.PathEscape(slug) + "/link"
	case o.Type.Capabilities.Password:
		c.Status, c.Action = "services.card.not_linked", "services.card.activate"
	case o.Type.Capabilities.SSOProvider:
		c.Status = "services.sso"
	default:
		c.Status = "services.card.not_linked"
	}
	return c
}
