package sso

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/oauth2"
)

// Token is what a code exchange or a refresh gives: the tokens and the
// validated claims of the access token.
type Token struct {
	AccessToken string
	// RefreshToken must be stored after every call, replacing the one
	// sent: EVE may rotate it, and then the old one is dead.
	RefreshToken string
	// Expiry is the access token's exp.
	Expiry time.Time
	Claims Claims
}

// String and LogValue keep the secrets out of any log line or error
// message a Token is printed into by mistake.
func (t Token) String() string {
	return fmt.Sprintf("sso.Token{character %d, expires %s}", t.Claims.CharacterID, t.Expiry.Format(time.RFC3339))
}

// LogValue implements slog.LogValuer, with the same redaction as String.
func (t Token) LogValue() slog.Value {
	return slog.GroupValue(slog.Int("character_id", int(t.Claims.CharacterID)), slog.Time("expires", t.Expiry))
}

// Exchange trades the code the player brought back (and the PKCE verifier
// kept since AuthorizeURL) for tokens.
func (c *Client) Exchange(ctx context.Context, code, verifier string) (Token, error) {
	m, err := c.Metadata(ctx)
	if err != nil {
		return Token{}, err
	}
	var opts []oauth2.AuthCodeOption
	if verifier != "" {
		opts = append(opts, oauth2.VerifierOption(verifier))
	}
	tok, err := c.oauthConfig(m, nil).Exchange(c.httpContext(ctx), code, opts...)
	if err != nil {
		return Token{}, tokenError(ctx, "code exchange", err)
	}
	return c.token(ctx, tok)
}

// Refresh gets a new access token. The Token's RefreshToken replaces the
// one sent (it may be the same). A dead refresh token gives an error
// matching ErrInvalidGrant; an unreachable or failing SSO one matching
// ErrUnavailable, which says nothing of the token.
func (c *Client) Refresh(ctx context.Context, refreshToken string) (Token, error) {
	if refreshToken == "" {
		return Token{}, errors.New("sso: refresh: empty refresh token")
	}
	m, err := c.Metadata(ctx)
	if err != nil {
		return Token{}, err
	}
	tok, err := c.oauthConfig(m, nil).TokenSource(c.httpContext(ctx), &oauth2.Token{RefreshToken: refreshToken}).Token()
	if err != nil {
		return Token{}, tokenError(ctx, "refresh", err)
	}
	return c.token(ctx, tok)
}

// Revoke kills a refresh token. The SSO answers 200 even for unknown
// tokens, so success says the token is dead, not that it lived.
func (c *Client) Revoke(ctx context.Context, refreshToken string) error {
	m, err := c.Metadata(ctx)
	if err != nil {
		return err
	}
	form := url.Values{"token_type_hint": {"refresh_token"}, "token": {refreshToken}}
	if c.cfg.ClientSecret == "" {
		form.Set("client_id", c.cfg.ClientID)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, m.RevocationEndpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return fmt.Errorf("sso: revoke: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if c.cfg.ClientSecret != "" {
		// Encoded as x/oauth2 does for the token endpoint (RFC 6749 §2.3.1).
		req.SetBasicAuth(url.QueryEscape(c.cfg.ClientID), url.QueryEscape(c.cfg.ClientSecret))
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("sso: revoke: %w: %w", ErrUnavailable, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxBody)) // only for the error's code
	if resp.StatusCode == http.StatusOK {
		return nil
	}
	e := &Error{Status: resp.StatusCode}
	var answer struct {
		Code        string `json:"error"`
		Description string `json:"error_description"`
	}
	if json.Unmarshal(body, &answer) == nil {
		e.Code, e.Description = answer.Code, answer.Description
	}
	return fmt.Errorf("sso: revoke: %w", e)
}

func (c *Client) httpContext(ctx context.Context) context.Context {
	return context.WithValue(ctx, oauth2.HTTPClient, c.http)
}

// token validates the access token of a token answer.
func (c *Client) token(ctx context.Context, tok *oauth2.Token) (Token, error) {
	claims, err := c.ValidateAccessToken(ctx, tok.AccessToken)
	if err != nil {
		return Token{}, fmt.Errorf("sso: token answer: %w", err)
	}
	return Token{AccessToken: tok.AccessToken, RefreshToken: tok.RefreshToken, Expiry: claims.Expires, Claims: claims}, nil
}

// tokenError sorts a failed token request: an error answer becomes an
// *Error; anything else (network, timeout, garbage) is ErrUnavailable.
func tokenError(ctx context.Context, op string, err error) error {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) && re.Response != nil {
		return fmt.Errorf("sso: %s: %w", op, &Error{
			Status: re.Response.StatusCode, Code: re.ErrorCode, Description: re.ErrorDescription,
		})
	}
	if ctx.Err() != nil {
		return fmt.Errorf("sso: %s: %w: %w", op, ErrUnavailable, ctx.Err())
	}
	return fmt.Errorf("sso: %s: %w: %w", op, ErrUnavailable, err)
}

// ValidateAccessToken checks an access token of this SSO: signature by a key
// of its JWKS (RS256 or ES256 only: never none or HMAC), issuer (see
// issuerAccepted), audience naming both this client and "EVE Online", expiry
// (with the leeway), and a character subject.
func (c *Client) ValidateAccessToken(ctx context.Context, raw string) (Claims, error) {
	var rc rawClaims
	parser := jwt.NewParser(
		jwt.WithValidMethods([]string{"RS256", "ES256"}),
		jwt.WithExpirationRequired(),
		jwt.WithLeeway(c.cfg.Leeway),
		jwt.WithTimeFunc(c.now),
	)
	_, err := parser.ParseWithClaims(raw, &rc, func(t *jwt.Token) (any, error) {
		kid, _ := t.Header["kid"].(string)
		return c.key(ctx, kid, t.Method.Alg())
	})
	if err != nil {
		return Claims{}, fmt.Errorf("%w: %w", ErrInvalidToken, err)
	}
	if ok, err := c.issuerAccepted(ctx, rc.Issuer); err != nil {
		return Claims{}, err
	} else if !ok {
		return Claims{}, fmt.Errorf("%w: issuer %q", ErrInvalidToken, rc.Issuer)
	}
	if !slices.Contains(rc.Audience, c.cfg.ClientID) || !slices.Contains(rc.Audience, eveAudience) {
		return Claims{}, fmt.Errorf("%w: audience %q", ErrInvalidToken, []string(rc.Audience))
	}
	claims, err := toClaims(&rc)
	if err != nil {
		return Claims{}, fmt.Errorf("%w: %w", ErrInvalidToken, err)
	}
	return claims, nil
}

// issuerAccepted tells whether iss may name the issuer of a token of this
// SSO: either of EVE's two forms, which EVE writes whatever address its SSO
// is reached at, or the issuer the SSO's own metadata document names (a
// test double or simulator issuing under its own name). The issuer is no
// defence on its own here: what makes a token this SSO's is its signature,
// checked before against the JWKS of the configured SSO alone.
func (c *Client) issuerAccepted(ctx context.Context, iss string) (bool, error) {
	if slices.Contains(eveIssuers, iss) {
		return true, nil
	}
	m, err := c.Metadata(ctx) // read already to fetch the keys: no request
	if err != nil {
		return false, err
	}
	return m.Issuer != "" && iss == m.Issuer, nil
}
