package srp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/keepstar/keepstar/internal/eve/esi"
	"github.com/keepstar/keepstar/internal/i18n"
	"github.com/keepstar/keepstar/internal/web"
)

// Link is what a killmail link says: the id always, the hash when it is
// an ESI link.
type Link struct {
	ID   int64
	Hash string
}

var (
	// esiPath is ESI's killmail route under any of its version prefixes
	// (/latest, /legacy, /dev, /v1…) or none.
	esiPath = regexp.MustCompile(`^(?:/(?:latest|legacy|dev|v[0-9]+))?/killmails/([0-9]{1,19})/([0-9a-fA-F]{40})/?$`)
	zkbPath = regexp.MustCompile(`^/kill/([0-9]{1,19})/?$`)
)

// ParseLink reads an ESI killmail link or a zKillboard kill page's.
func ParseLink(s string) (Link, bool) {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") {
		return Link{}, false
	}
	host := strings.ToLower(u.Hostname())
	var m []string
	switch host {
	case "esi.evetech.net":
		m = esiPath.FindStringSubmatch(u.Path)
	case "zkillboard.com", "www.zkillboard.com":
		m = zkbPath.FindStringSubmatch(u.Path)
	}
	if m == nil {
		return Link{}, false
	}
	id, err := strconv.ParseInt(m[1], 10, 64)
	if err != nil || id <= 0 {
		return Link{}, false
	}
	l := Link{ID: id}
	if len(m) > 2 {
		l.Hash = strings.ToLower(m[2])
	}
	return l, true
}

// HashSource finds a killmail's hash from its id: zKillboard's API.
type HashSource interface {
	Hash(ctx context.Context, killmailID int64) (string, error)
}

// ZKillboard asks zKillboard's API (GET {BaseURL}api/killID/{id}/, an
// array of kills with killmail_id and zkb.hash) for a killmail's hash.
type ZKillboard struct {
	Client  *http.Client
	BaseURL string
}

var hashForm = regexp.MustCompile(`^[0-9a-f]{40}$`)

// Hash implements HashSource.
func (z ZKillboard) Hash(ctx context.Context, killmailID int64) (string, error) {
	u := strings.TrimRight(z.BaseURL, "/") + "/api/killID/" + strconv.FormatInt(killmailID, 10) + "/"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return "", err
	}
	req.Header.Set("Accept", "application/json")
	res, err := z.Client.Do(req)
	if err != nil {
		return "", err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return "", fmt.Errorf("srp: zKillboard answered %s", res.Status)
	}
	var kills []struct {
		KillmailID int64 `json:"killmail_id"`
		ZKB        struct {
			Hash string `json:"hash"`
		} `json:"zkb"`
	}
	if err := json.NewDecoder(io.LimitReader(res.Body, 1<<20)).Decode(&kills); err != nil {
		return "", fmt.Errorf("srp: zKillboard's answer: %w", err)
	}
	for _, k := range kills {
		if k.KillmailID == killmailID && hashForm.MatchString(k.ZKB.Hash) {
			return k.ZKB.Hash, nil
		}
	}
	return "", fmt.Errorf("srp: zKillboard does not know killmail %d", killmailID)
}

// hashSource gives zKillboard when the site's setting allows asking it,
// else nil.
func (s *SRP) hashSource(ctx context.Context) (HashSource, error) {
	if s.settings == nil {
		return nil, nil
	}
	vals, err := s.settings.Current(ctx)
	if err != nil {
		return nil, err
	}
	if !vals.Bool(SettingZKillboard) {
		return nil, nil
	}
	base := vals.String(SettingZKillboardURL)
	if base == "" {
		base = SettingZKillboardURL.Default
	}
	return ZKillboard{Client: s.client, BaseURL: base}, nil
}

// killmail is what Keepstar reads of GET /killmails/{killmail_id}/{killmail_hash}.
type killmail struct {
	KillmailID   int64     `json:"killmail_id"`
	KillmailTime time.Time `json:"killmail_time"`
	Victim       struct {
		CharacterID int32  `json:"character_id"`
		ShipTypeID  int32  `json:"ship_type_id"`
		Items       []item `json:"items"`
	} `json:"victim"`
}

// item is a fitted or carried item; a container holds items.
type item struct {
	TypeID            int32  `json:"item_type_id"`
	QuantityDestroyed int64  `json:"quantity_destroyed"`
	QuantityDropped   int64  `json:"quantity_dropped"`
	Items             []item `json:"items"`
}

// readKillmail asks ESI for a killmail. A wrong hash is ESI's 422.
func (s *SRP) readKillmail(ctx context.Context, l Link) (killmail, error) {
	var k killmail
	res, err := s.esi.Get(ctx, esi.Request{Route: "GET /killmails/{killmail_id}/{killmail_hash}",
		Path: "/killmails/" + strconv.FormatInt(l.ID, 10) + "/" + l.Hash})
	if err != nil {
		return k, err
	}
	if err := json.Unmarshal(res.Body, &k); err != nil {
		return k, fmt.Errorf("srp: killmail %d: %w", l.ID, err)
	}
	return k, nil
}

// prices reads ESI's market prices: the average price of each type, or
// its adjusted price when it has no average.
func (s *SRP) prices(ctx context.Context) (map[int32]float64, error) {
	res, err := s.esi.Get(ctx, esi.Request{Route: "GET /markets/prices", Path: "/markets/prices"})
	if err != nil {
		return nil, err
	}
	var ps []struct {
		TypeID        int32   `json:"type_id"`
		AveragePrice  float64 `json:"average_price"`
		AdjustedPrice float64 `json:"adjusted_price"`
	}
	if err := json.Unmarshal(res.Body, &ps); err != nil {
		return nil, fmt.Errorf("srp: market prices: %w", err)
	}
	out := make(map[int32]float64, len(ps))
	for _, p := range ps {
		if p.AveragePrice > 0 {
			out[p.TypeID] = p.AveragePrice
		} else {
			out[p.TypeID] = p.AdjustedPrice
		}
	}
	return out, nil
}

// value is the loss: the hull and every item destroyed or dropped, at
// the market's prices.
func value(k killmail, prices map[int32]float64) float64 {
	v := prices[k.Victim.ShipTypeID]
	var add func([]item)
	add = func(items []item) {
		for _, it := range items {
			v += prices[it.TypeID] * float64(it.QuantityDestroyed+it.QuantityDropped)
			add(it.Items)
		}
	}
	add(k.Victim.Items)
	return v
}

// Refusals of a request, each a message for the member.
var (
	errBadLink   = errors.New("srp.error.link")
	errNotYours  = errors.New("srp.error.not_yours")
	errDuplicate = errors.New("srp.error.duplicate")
	errBadHash   = errors.New("srp.error.bad_hash")
	errESI       = errors.New("srp.error.esi")
)

// File records a member's loss in an open fleet. With an ESI link (or a
// hash zKillboard gave) the killmail is read and checked at once; a bare
// zKillboard link is kept with its id, waiting for the ESI link (Update).
func (s *SRP) File(ctx context.Context, v *web.Viewer, fleetID int64, link, additional string) (Request, error) {
	additional = strings.TrimSpace(additional)
	if utf8.RuneCountInString(additional) > maxComment || !utf8.ValidString(additional) {
		return Request{}, &i18n.InvalidError{Problems: problem("additional", "srp.error.additional", "Max", maxComment)}
	}
	l, ok := ParseLink(link)
	if !ok {
		return Request{}, &i18n.InvalidError{Problems: problem("link", errBadLink.Error())}
	}
	f, err := s.GetFleet(ctx, fleetID)
	if err != nil {
		return Request{}, err
	}
	if f.Status != StatusOpen {
		return Request{}, ErrClosed
	}
	if l.Hash == "" {
		src, err := s.hashSource(ctx)
		if err != nil {
			return Request{}, err
		}
		if src != nil {
			if h, err := src.Hash(ctx, l.ID); err == nil {
				l.Hash = h
			} else {
				s.logger.Warn("srp: zKillboard gave no hash", "killmail", l.ID, "err", err)
			}
		}
	}
	r := Request{FleetID: fleetID, AccountID: v.AccountID, KillmailID: l.ID, Additional: additional, Status: StatusPending,
		CreatedAt: s.now().UTC(), FleetName: f.Name}
	if l.Hash != "" {
		if err := s.resolve(ctx, v, &r, l); err != nil {
			return Request{}, err
		}
	}
	n, err := s.db.Exec(ctx, `INSERT INTO srp_requests (fleet_id, account_id, killmail_id, killmail_hash, character_id, character_name,
		ship_type_id, ship_name, loss_value, additional, status, payout, comment, decided_by, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'pending', 0, '', '', $11) ON CONFLICT (killmail_id) DO NOTHING`,
		r.FleetID, r.AccountID, r.KillmailID, r.KillmailHash, r.CharacterID, r.CharacterName, r.ShipTypeID, r.ShipName,
		r.LossValue, r.Additional, r.CreatedAt)
	if err != nil {
		return Request{}, err
	}
	if n == 0 {
		return Request{}, &i18n.InvalidError{Problems: problem("link", errDuplicate.Error())}
	}
	err = s.db.QueryRow(ctx, `SELECT id FROM srp_requests WHERE killmail_id = $1`, r.KillmailID).Scan(&r.ID)
	return r, err
}

// AddLink gives a request filed from a zKillboard link its ESI link.
func (s *SRP) AddLink(ctx context.Context, v *web.Viewer, id int64, link string) (Request, error) {
	r, err := s.GetRequest(ctx, id)
	if err != nil {
		return r, err
	}
	if r.AccountID != v.AccountID {
		return r, ErrNotFound
	}
	l, ok := ParseLink(link)
	if !ok || l.Hash == "" || l.ID != r.KillmailID {
		return r, &i18n.InvalidError{Problems: problem("link", "srp.error.esi_link", "ID", r.KillmailID)}
	}
	if r.Resolved() {
		return r, nil
	}
	if err := s.resolve(ctx, v, &r, l); err != nil {
		return r, err
	}
	_, err = s.db.Exec(ctx, `UPDATE srp_requests SET killmail_hash = $1, character_id = $2, character_name = $3, ship_type_id = $4,
		ship_name = $5, loss_value = $6 WHERE id = $7 AND killmail_hash = ''`, r.KillmailHash, r.CharacterID, r.CharacterName,
		r.ShipTypeID, r.ShipName, r.LossValue, r.ID)
	return r, err
}

// resolve reads the killmail from ESI into r, refusing a victim who is
// not one of the member's characters.
func (s *SRP) resolve(ctx context.Context, v *web.Viewer, r *Request, l Link) error {
	k, err := s.readKillmail(ctx, l)
	var se *esi.StatusError
	switch {
	case errors.As(err, &se) && se.Status >= 400 && se.Status < 500:
		return &i18n.InvalidError{Problems: problem("link", errBadHash.Error())}
	case err != nil:
		s.logger.Warn("srp: reading a killmail", "killmail", l.ID, "err", err)
		return &i18n.InvalidError{Problems: problem("link", errESI.Error())}
	}
	var name string
	err = s.db.QueryRow(ctx, `SELECT name FROM characters WHERE id = $1 AND account_id = $2`, k.Victim.CharacterID, v.AccountID).Scan(&name)
	if err != nil {
		return &i18n.InvalidError{Problems: problem("link", errNotYours.Error())}
	}
	prices, err := s.prices(ctx)
	if err != nil {
		s.logger.Warn("srp: reading market prices", "err", err)
		return &i18n.InvalidError{Problems: problem("link", errESI.Error())}
	}
	ship := strconv.Itoa(int(k.Victim.ShipTypeID))
	if names, _, err := s.esi.Names(ctx, []int32{k.Victim.ShipTypeID}); err == nil && len(names) == 1 {
		ship = names[0].Name
	}
	r.KillmailHash, r.CharacterID, r.CharacterName = l.Hash, k.Victim.CharacterID, name
	r.ShipTypeID, r.ShipName, r.LossValue = k.Victim.ShipTypeID, ship, value(k, prices)
	return nil
}
