package discord

import (
	"context"
	"errors"
	"net/http"
	"net/url"
)

// Token is the token endpoint's answer to an authorization code.
type Token struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int    `json:"expires_in"`
	RefreshToken string `json:"refresh_token"`
	Scope        string `json:"scope"`
}

const (
	tToken  = "/oauth2/token"
	tRevoke = "/oauth2/token/revoke"
)

var errNoClient = errors.New("discord: the OAuth2 client id and secret are not set")

// ExchangeCode trades an authorization code the callback at redirectURI
// got for the user's tokens. The token endpoint reads only forms; the
// client authenticates with its id and secret in the form.
func (c *Client) ExchangeCode(ctx context.Context, code, redirectURI string) (Token, error) {
	var t Token
	if c.o.ClientID == "" || c.o.ClientSecret == "" {
		return t, errNoClient
	}
	form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {redirectURI},
		"client_id": {c.o.ClientID}, "client_secret": {c.o.ClientSecret}}
	_, err := c.do(ctx, call{method: http.MethodPost, template: tToken, path: tToken, form: form}, &t)
	if err == nil && t.AccessToken == "" {
		err = errors.New("discord: the token endpoint answered no access token")
	}
	return t, err
}

// RevokeToken revokes a user's token, and with it the whole authorization.
func (c *Client) RevokeToken(ctx context.Context, token string) error {
	if c.o.ClientID == "" || c.o.ClientSecret == "" {
		return errNoClient
	}
	form := url.Values{"token": {token}, "token_type_hint": {"access_token"},
		"client_id": {c.o.ClientID}, "client_secret": {c.o.ClientSecret}}
	_, err := c.do(ctx, call{method: http.MethodPost, template: tRevoke, path: tRevoke, form: form}, nil)
	return err
}
