package evesim

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/keepstar/keepstar/internal/evesim/esi"
	"github.com/keepstar/keepstar/internal/evesim/universe"
)

// control serves the simulator's control API: the changes a test or a demo
// makes to the universe (what players and CCP would do in game), and the
// clock. It is part of the simulator only; Keepstar itself never has it.
type control struct {
	u     *universe.Universe
	clock *universe.Clock
	esi   faultInjector
	mail  mailbox
}

// mailbox is what the control API uses of ESI's mail: the mails sent, and
// the CSPA charges that make the EVE server refuse some.
type mailbox interface {
	SentMails() []esi.Mail
	SetCSPACharge(characterID int32, isk int64) error
}

// faultInjector is what the control API uses of the ESI simulator.
type faultInjector interface {
	SetLatency(pattern string, d time.Duration) error
	FailNext(pattern string, status, n int) error
	StartErrorStorm(pattern string, d time.Duration) error
	ThrottleNext(pattern string, n int, retryAfter time.Duration) error
	ClearFaults()
	Patterns() []string
	Requests() map[string]int
}

func (c *control) mount(mux *http.ServeMux) {
	mux.HandleFunc("GET /control/characters/{id}", c.character)
	mux.HandleFunc("POST /control/characters/{id}/move", characterChange(c, func(id int32, b moveBody) error {
		return c.u.MoveCharacter(id, b.CorporationID)
	}))
	mux.HandleFunc("POST /control/characters/{id}/transfer", characterChange(c, func(id int32, b transferBody) error {
		transfer := c.u.TransferCharacter
		if b.KeepTokens {
			transfer = c.u.TransferKeepingTokens
		}
		_, err := transfer(id, b.AccountID)
		return err
	}))
	mux.HandleFunc("POST /control/characters/{id}/biomass", characterChange(c, func(id int32, _ noBody) error {
		return c.u.Biomass(id)
	}))
	mux.HandleFunc("POST /control/characters/{id}/rename", characterChange(c, func(id int32, b renameBody) error {
		return c.u.Rename(id, b.Name)
	}))
	mux.HandleFunc("PUT /control/characters/{id}/roles", characterChange(c, func(id int32, b rolesBody) error {
		return c.u.SetRoles(id, b.Roles)
	}))
	mux.HandleFunc("PUT /control/characters/{id}/titles", characterChange(c, func(id int32, b titlesBody) error {
		return c.u.SetTitles(id, b.TitleIDs)
	}))
	mux.HandleFunc("POST /control/characters/{id}/invalidate-tokens", characterChange(c, func(id int32, _ noBody) error {
		return c.u.InvalidateTokens(id)
	}))
	mux.HandleFunc("POST /control/characters/{id}/online", characterChange(c, func(id int32, b onlineBody) error {
		return c.u.SetOnline(id, b.Online)
	}))
	mux.HandleFunc("POST /control/corporations/{id}/alliance", c.corporationAlliance)
	mux.HandleFunc("POST /control/corporations/{id}/rename", c.rename(c.u.RenameCorporation))
	mux.HandleFunc("POST /control/alliances/{id}/rename", c.rename(c.u.RenameAlliance))
	mux.HandleFunc("GET /control/corporations/{id}/titles", c.corporationTitles)
	mux.HandleFunc("POST /control/killmails", c.addKillmail)
	mux.HandleFunc("GET /control/killmails", c.killmails)
	mux.HandleFunc("GET /control/accounts/{id}", c.account)
	mux.HandleFunc("POST /control/fleets", c.createFleet)
	mux.HandleFunc("POST /control/clock", c.advanceClock)
	mux.HandleFunc("GET /control/clock", c.readClock)
	if c.esi != nil {
		mux.HandleFunc("POST /control/faults", c.addFault)
		mux.HandleFunc("DELETE /control/faults", c.clearFaults)
		mux.HandleFunc("GET /control/routes", c.routes)
		mux.HandleFunc("GET /control/requests", c.requests)
	}
	if c.mail != nil {
		mux.HandleFunc("GET /control/mails", c.mails)
		mux.HandleFunc("PUT /control/characters/{id}/cspa", c.setCSPA)
	}
}

// faultBody injects faults into one ESI route ("GET /characters/{character_id}")
// or all ("*"). Durations are Go durations ("20ms", "30s").
type faultBody struct {
	Route   string `json:"route"`
	Latency string `json:"latency"`
	Fail    *struct {
		Status int `json:"status"`
		Count  int `json:"count"`
	} `json:"fail"`
	Storm    string `json:"storm"`
	Throttle *struct {
		Count      int    `json:"count"`
		RetryAfter string `json:"retry_after"`
	} `json:"throttle"`
}

func (c *control) addFault(w http.ResponseWriter, r *http.Request) {
	var b faultBody
	if !readJSON(w, r, &b) {
		return
	}
	if b.Route == "" {
		b.Route = "*"
	}
	duration := func(s string) (time.Duration, error) {
		d, err := time.ParseDuration(s)
		if err != nil || d < 0 {
			return 0, fmt.Errorf("%q is not a duration such as 20ms or 30s", s)
		}
		return d, nil
	}
	var errs []error
	if b.Latency != "" {
		d, err := duration(b.Latency)
		if err == nil {
			err = c.esi.SetLatency(b.Route, d)
		}
		errs = append(errs, err)
	}
	if b.Fail != nil {
		errs = append(errs, c.esi.FailNext(b.Route, b.Fail.Status, max(b.Fail.Count, 1)))
	}
	if b.Storm != "" {
		d, err := duration(b.Storm)
		if err == nil {
			err = c.esi.StartErrorStorm(b.Route, d)
		}
		errs = append(errs, err)
	}
	if b.Throttle != nil {
		d, err := duration(cmp.Or(b.Throttle.RetryAfter, "1s"))
		if err == nil {
			err = c.esi.ThrottleNext(b.Route, max(b.Throttle.Count, 1), d)
		}
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		controlError(w, err)
		return
	}
	if len(errs) == 0 {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "name at least one of latency, fail, storm, throttle"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"route": b.Route})
}

func (c *control) clearFaults(w http.ResponseWriter, r *http.Request) {
	c.esi.ClearFaults()
	w.WriteHeader(http.StatusNoContent)
}

func (c *control) routes(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, c.esi.Patterns())
}

// requests tells how many requests each ESI route received, so that a test
// sees what a client sent (or held back) whatever it was answered.
func (c *control) requests(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, c.esi.Requests())
}

// characterView is what the control API tells of a character: more than
// ESI would, since tests need the account and owner hash.
type characterView struct {
	ID            int32    `json:"character_id"`
	Name          string   `json:"name"`
	CorporationID int32    `json:"corporation_id"`
	AllianceID    int32    `json:"alliance_id,omitempty"`
	AccountID     int32    `json:"account_id"`
	OwnerHash     string   `json:"owner_hash"`
	Biomassed     bool     `json:"biomassed"`
	Roles         []string `json:"roles"`
	TitleIDs      []int32  `json:"title_ids"`
	FleetID       int64    `json:"fleet_id,omitempty"`
}

func (c *control) view(id int32) (characterView, error) {
	ch, err := c.u.Character(id)
	if err != nil {
		return characterView{}, err
	}
	return characterView{
		ID: ch.ID, Name: ch.Name, CorporationID: ch.CorporationID, AllianceID: c.u.AllianceOf(ch),
		AccountID: ch.AccountID, OwnerHash: c.u.OwnerHash(ch), Biomassed: ch.Biomassed,
		Roles: append([]string{}, ch.Roles...), TitleIDs: append([]int32{}, ch.TitleIDs...), FleetID: ch.FleetID,
	}, nil
}

func (c *control) character(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r)
	if !ok {
		return
	}
	c.answerCharacter(w, id, nil)
}

// answerCharacter answers with the character after a change, or the
// change's error.
func (c *control) answerCharacter(w http.ResponseWriter, id int32, err error) {
	if err != nil {
		controlError(w, err)
		return
	}
	v, err := c.view(id)
	if err != nil {
		controlError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

// characterChange makes a handler that reads the JSON body T, applies change
// to the character in the path and answers with the character after it.
func characterChange[T any](c *control, change func(id int32, body T) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var body T
		id, ok := pathIDAndBody(w, r, &body)
		if !ok {
			return
		}
		c.answerCharacter(w, id, change(id, body))
	}
}

type (
	moveBody struct {
		CorporationID int32 `json:"corporation_id"`
	}
	transferBody struct {
		AccountID int32 `json:"account_id"`
		// KeepTokens leaves the refresh tokens alive (TransferKeepingTokens).
		KeepTokens bool `json:"keep_tokens"`
	}
	renameBody struct {
		Name string `json:"name"`
	}
	rolesBody struct {
		Roles []string `json:"roles"`
	}
	titlesBody struct {
		TitleIDs []int32 `json:"title_ids"`
	}
	onlineBody struct {
		Online bool `json:"online"`
	}
	noBody struct{}
)

func (c *control) corporationAlliance(w http.ResponseWriter, r *http.Request) {
	var body struct {
		AllianceID int32 `json:"alliance_id"`
	}
	id, ok := pathIDAndBody(w, r, &body)
	if !ok {
		return
	}
	if err := c.u.SetCorporationAlliance(id, body.AllianceID); err != nil {
		controlError(w, err)
		return
	}
	corp, err := c.u.Corporation(id)
	if err != nil {
		controlError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]int32{"corporation_id": corp.ID, "alliance_id": corp.AllianceID})
}

// rename renames a corporation or an alliance: {"name": "...", "ticker": "..."}.
func (c *control) rename(change func(id int32, name, ticker string) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Name   string `json:"name"`
			Ticker string `json:"ticker"`
		}
		id, ok := pathIDAndBody(w, r, &body)
		if !ok {
			return
		}
		if err := change(id, body.Name, body.Ticker); err != nil {
			controlError(w, err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"id": id, "name": body.Name, "ticker": body.Ticker})
	}
}

// titleView is a corporation title as the control API lists it.
type titleView struct {
	ID   int32  `json:"title_id"`
	Name string `json:"name"`
}

func (c *control) corporationTitles(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r)
	if !ok {
		return
	}
	titles, err := c.u.Titles(id)
	if err != nil {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": err.Error()})
		return
	}
	out := make([]titleView, len(titles))
	for i, t := range titles {
		out[i] = titleView{ID: t.ID, Name: t.Name}
	}
	writeJSON(w, http.StatusOK, out)
}

// killmailView is what the control API tells of a killmail: enough to fetch
// it from ESI.
type killmailView struct {
	ID       int64     `json:"killmail_id"`
	Hash     string    `json:"killmail_hash"`
	Time     time.Time `json:"killmail_time"`
	VictimID int32     `json:"victim_id"`
}

// addKillmail records a kill made now: the victim's ship (ship_type_id 0:
// the one they fly) dies in a system (solar_system_id 0: theirs).
func (c *control) addKillmail(w http.ResponseWriter, r *http.Request) {
	var body struct {
		VictimID      int32   `json:"victim_id"`
		AttackerIDs   []int32 `json:"attacker_ids"`
		ShipTypeID    int32   `json:"ship_type_id"`
		SolarSystemID int32   `json:"solar_system_id"`
	}
	if !readJSON(w, r, &body) {
		return
	}
	if body.VictimID == 0 {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "victim_id is required"})
		return
	}
	id, hash, err := c.u.AddKillmail(body.VictimID, body.AttackerIDs, body.ShipTypeID, body.SolarSystemID)
	if err != nil {
		controlError(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"killmail_id": id, "killmail_hash": hash})
}

// killmails lists every killmail, oldest first.
func (c *control) killmails(w http.ResponseWriter, r *http.Request) {
	ids := c.u.KillmailIDs()
	out := make([]killmailView, 0, len(ids))
	for _, id := range ids {
		k, err := c.u.Killmail(id)
		if err != nil {
			controlError(w, err)
			return
		}
		out = append(out, killmailView{ID: k.ID, Hash: k.Hash, Time: k.Time.UTC(), VictimID: k.Victim.CharacterID})
	}
	writeJSON(w, http.StatusOK, out)
}

func (c *control) account(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r)
	if !ok {
		return
	}
	a, found := c.u.Account(id)
	if !found {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "no such account"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"account_id": a.ID, "character_ids": a.Characters})
}

func (c *control) createFleet(w http.ResponseWriter, r *http.Request) {
	var body struct {
		BossID    int32   `json:"boss_id"`
		MemberIDs []int32 `json:"member_ids"`
	}
	if !readJSON(w, r, &body) {
		return
	}
	fleetID, err := c.u.CreateFleet(body.BossID)
	if err != nil {
		controlError(w, err)
		return
	}
	for _, m := range body.MemberIDs {
		if err := c.u.JoinFleet(fleetID, m); err != nil {
			controlError(w, err)
			return
		}
	}
	writeJSON(w, http.StatusCreated, map[string]int64{"fleet_id": fleetID})
}

func (c *control) advanceClock(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Advance string `json:"advance"`
	}
	if !readJSON(w, r, &body) {
		return
	}
	d, err := time.ParseDuration(body.Advance)
	if err != nil || d <= 0 {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": `advance must be a positive duration such as "90s" or "2h"`})
		return
	}
	c.clock.Advance(d)
	c.readClock(w, r)
}

func (c *control) readClock(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"now": c.clock.Now().UTC().Format(time.RFC3339)})
}

func pathID(w http.ResponseWriter, r *http.Request) (int32, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 32)
	if err != nil || id <= 0 {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": fmt.Sprintf("%q is not an id", r.PathValue("id"))})
		return 0, false
	}
	return int32(id), true
}

func pathIDAndBody(w http.ResponseWriter, r *http.Request, body any) (int32, bool) {
	id, ok := pathID(w, r)
	if !ok {
		return 0, false
	}
	return id, readJSON(w, r, body)
}

func readJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20))
	dec.DisallowUnknownFields()
	// An empty body means no fields: the optional ones keep their zero value.
	if err := dec.Decode(v); err != nil && !errors.Is(err, io.EOF) {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid JSON body: " + err.Error()})
		return false
	}
	return true
}

func controlError(w http.ResponseWriter, err error) {
	status := http.StatusBadRequest
	switch {
	case errors.Is(err, universe.ErrNoCharacter), errors.Is(err, universe.ErrNoFleet):
		status = http.StatusNotFound
	case errors.Is(err, universe.ErrBiomassed):
		status = http.StatusConflict
	}
	writeJSON(w, status, map[string]string{"error": err.Error()})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// mailView is a mail received, as the control API lists it: what the
// recipients see in game.
type mailView struct {
	ID           int32           `json:"mail_id"`
	From         int32           `json:"from"`
	Recipients   []recipientView `json:"recipients"`
	Subject      string          `json:"subject"`
	Body         string          `json:"body"`
	ApprovedCost int64           `json:"approved_cost"`
	Timestamp    time.Time       `json:"timestamp"`
}

type recipientView struct {
	ID   int32  `json:"recipient_id"`
	Type string `json:"recipient_type"`
}

// mails lists the mails ESI accepted, oldest first; ?to= keeps those
// addressed to one recipient, ?from= those of one sender.
func (c *control) mails(w http.ResponseWriter, r *http.Request) {
	filter := func(name string) (int32, bool) {
		v := r.URL.Query().Get(name)
		if v == "" {
			return 0, true
		}
		id, err := strconv.ParseInt(v, 10, 32)
		if err != nil || id <= 0 {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": fmt.Sprintf("%s=%q is not an id", name, v)})
			return 0, false
		}
		return int32(id), true
	}
	to, ok := filter("to")
	if !ok {
		return
	}
	from, ok := filter("from")
	if !ok {
		return
	}
	out := []mailView{}
	for _, m := range c.mail.SentMails() {
		if from != 0 && m.From != from {
			continue
		}
		v := mailView{ID: m.ID, From: m.From, Subject: m.Subject, Body: m.Body, ApprovedCost: m.ApprovedCost, Timestamp: m.Sent.UTC()}
		addressed := to == 0
		for _, rc := range m.Recipients {
			v.Recipients = append(v.Recipients, recipientView{ID: rc.ID, Type: rc.Type})
			addressed = addressed || rc.ID == to
		}
		if addressed {
			out = append(out, v)
		}
	}
	writeJSON(w, http.StatusOK, out)
}

// setCSPA sets a character's CSPA charge: {"charge": 5000000}; 0 removes it.
func (c *control) setCSPA(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Charge int64 `json:"charge"`
	}
	id, ok := pathIDAndBody(w, r, &body)
	if !ok {
		return
	}
	if err := c.mail.SetCSPACharge(id, body.Charge); err != nil {
		controlError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"character_id": id, "charge": body.Charge})
}
