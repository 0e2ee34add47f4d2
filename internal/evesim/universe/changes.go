package universe

import (
	"fmt"
	"slices"
	"strings"
)

// MoveCharacter puts a character into another corporation (and so that
// corporation's alliance), as when a pilot leaves one corporation and joins
// another. Their corporation roles are lost, as in game.
func (u *Universe) MoveCharacter(charID, corpID int32) error {
	return u.change(charID, true, func(c *Character) error {
		if _, ok := u.corporations[corpID]; !ok || corpID == Doomheim {
			return fmt.Errorf("%w: %d", ErrNoCorporation, corpID)
		}
		u.removeMember(c.CorporationID, charID)
		c.CorporationID = corpID
		c.Roles = nil
		c.TitleIDs = nil
		c.JoinedCorp = u.now().UTC().Truncate(1e9)
		u.record(c)
		u.members[corpID] = append(u.members[corpID], charID)
		u.touch(int64(charID), int64(corpID))
		return nil
	})
}

// record adds the character's move to its corporation (now in
// CorporationID and JoinedCorp) to its history; under the write lock.
func (u *Universe) record(c *Character) {
	u.records++
	c.History = append(c.History, CorporationRecord{RecordID: u.records, CorporationID: c.CorporationID, StartDate: c.JoinedCorp})
}

// CorporationHistory gives a character's corporation history, the newest
// first, as ESI lists it.
func (u *Universe) CorporationHistory(charID int32) ([]CorporationRecord, error) {
	u.mu.RLock()
	defer u.mu.RUnlock()
	c, err := u.character(charID)
	if err != nil {
		return nil, err
	}
	out := make([]CorporationRecord, len(c.History))
	for i, r := range c.History {
		out[len(out)-1-i] = r
	}
	return out, nil
}

// change runs fn on a character under the write lock. With live, a
// biomassed character is refused: the dead cannot act in game.
func (u *Universe) change(charID int32, live bool, fn func(c *Character) error) error {
	u.mu.Lock()
	defer u.mu.Unlock()
	c, err := u.character(charID)
	if err != nil {
		return err
	}
	if live && c.Biomassed {
		return ErrBiomassed
	}
	return fn(c)
}

func (u *Universe) removeMember(corpID, charID int32) {
	m := u.members[corpID]
	if i := slices.Index(m, charID); i >= 0 {
		u.members[corpID] = slices.Delete(m, i, i+1)
	}
	u.touch(int64(corpID))
}

// SetCorporationAlliance moves a player corporation into an alliance (0:
// leaves its alliance).
func (u *Universe) SetCorporationAlliance(corpID, allianceID int32) error {
	u.mu.Lock()
	defer u.mu.Unlock()
	c, ok := u.corporations[corpID]
	if !ok || c.NPC {
		return fmt.Errorf("%w: %d (player corporations only)", ErrNoCorporation, corpID)
	}
	if allianceID != 0 {
		if _, ok := u.alliances[allianceID]; !ok {
			return fmt.Errorf("%w: %d", ErrNoAlliance, allianceID)
		}
	}
	old := c.AllianceID
	c.AllianceID = allianceID
	u.touch(int64(corpID), int64(old), int64(allianceID))
	for _, m := range u.members[corpID] {
		u.touch(int64(m))
	}
	return nil
}

// TransferCharacter moves a character to another player account (toAccount
// 0: a new account), as in a character bazaar sale. Its owner hash changes
// and its refresh tokens die.
func (u *Universe) TransferCharacter(charID, toAccount int32) (int32, error) {
	return u.transfer(charID, toAccount, true)
}

// TransferKeepingTokens is a transfer after which the refresh tokens given
// before still work, and refresh into tokens naming the new owner: what EVE
// did before it killed tokens at a sale, and what a token check comparing
// owner hashes (Neucore's, Keepstar's) exists to catch.
func (u *Universe) TransferKeepingTokens(charID, toAccount int32) (int32, error) {
	return u.transfer(charID, toAccount, false)
}

func (u *Universe) transfer(charID, toAccount int32, killTokens bool) (int32, error) {
	err := u.change(charID, true, func(c *Character) error {
		if toAccount == 0 {
			u.nextAccount++
			toAccount = u.nextAccount
			u.accounts[toAccount] = &Account{ID: toAccount}
		}
		to, ok := u.accounts[toAccount]
		if !ok {
			return fmt.Errorf("universe: no account %d", toAccount)
		}
		if toAccount == c.AccountID {
			return fmt.Errorf("universe: character %d is already on account %d", charID, toAccount)
		}
		from := u.accounts[c.AccountID]
		if i := slices.Index(from.Characters, charID); i >= 0 {
			from.Characters = slices.Delete(from.Characters, i, i+1)
		}
		to.Characters = append(to.Characters, charID)
		c.AccountID = toAccount
		c.Transfers++
		if killTokens {
			c.TokenGeneration++
		}
		u.touch(int64(charID))
		return nil
	})
	if err != nil {
		return 0, err
	}
	return toAccount, nil
}

// Biomass deletes a character: it moves to Doomheim for good and can no
// longer log in.
func (u *Universe) Biomass(charID int32) error {
	return u.change(charID, false, func(c *Character) error {
		if c.Biomassed {
			return nil
		}
		u.removeMember(c.CorporationID, charID)
		c.CorporationID = Doomheim
		c.JoinedCorp = u.now().UTC().Truncate(1e9)
		u.record(c)
		c.Biomassed = true
		c.Roles, c.TitleIDs = nil, nil
		c.TokenGeneration++
		c.FleetID, c.WingID, c.SquadID, c.FleetRole = 0, 0, 0, ""
		u.members[Doomheim] = append(u.members[Doomheim], charID)
		u.touch(int64(charID))
		return nil
	})
}

// Rename gives a character a new name (a paid name change in game).
func (u *Universe) Rename(charID int32, name string) error {
	name = strings.TrimSpace(name)
	if len(name) < 3 || len(name) > 37 {
		return fmt.Errorf("universe: name %q must have 3 to 37 characters", name)
	}
	return u.change(charID, false, func(c *Character) error {
		c.Name = name
		u.touch(int64(charID))
		return nil
	})
}

// Tickers of corporations and alliances have 1 to 5 characters in game.
const maxTicker = 5

// checkRename checks a name (3 to 50 characters, as corporation and
// alliance names are) and ticker given to RenameCorporation or
// RenameAlliance.
func checkRename(name, ticker string) (string, string, error) {
	name, ticker = strings.TrimSpace(name), strings.TrimSpace(ticker)
	if n := len([]rune(name)); n < 3 || n > 50 {
		return "", "", fmt.Errorf("universe: name %q must have 3 to 50 characters", name)
	}
	if n := len([]rune(ticker)); n < 1 || n > maxTicker {
		return "", "", fmt.Errorf("universe: ticker %q must have 1 to %d characters", ticker, maxTicker)
	}
	return name, ticker, nil
}

// RenameCorporation gives a player corporation a new name and ticker, as
// CCP does on request (an offensive or infringing name).
func (u *Universe) RenameCorporation(corpID int32, name, ticker string) error {
	name, ticker, err := checkRename(name, ticker)
	if err != nil {
		return err
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	c, ok := u.corporations[corpID]
	if !ok || c.NPC {
		return fmt.Errorf("%w: %d (player corporations only)", ErrNoCorporation, corpID)
	}
	c.Name, c.Ticker = name, ticker
	u.touch(int64(corpID))
	return nil
}

// RenameAlliance gives an alliance a new name and ticker.
func (u *Universe) RenameAlliance(allianceID int32, name, ticker string) error {
	name, ticker, err := checkRename(name, ticker)
	if err != nil {
		return err
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	a, ok := u.alliances[allianceID]
	if !ok {
		return fmt.Errorf("%w: %d", ErrNoAlliance, allianceID)
	}
	a.Name, a.Ticker = name, ticker
	u.touch(int64(allianceID))
	return nil
}

// SetRoles replaces a character's corporation roles.
func (u *Universe) SetRoles(charID int32, roles []string) error {
	return u.change(charID, false, func(c *Character) error {
		c.Roles = slices.Clone(roles)
		u.touch(int64(charID), int64(c.CorporationID))
		return nil
	})
}

// InvalidateTokens kills every refresh token of a character, as a password
// change or revoking the application on the account does.
func (u *Universe) InvalidateTokens(charID int32) error {
	return u.change(charID, false, func(c *Character) error {
		c.TokenGeneration++
		return nil
	})
}

// SetOnline logs a character in or out.
func (u *Universe) SetOnline(charID int32, online bool) error {
	return u.change(charID, false, func(c *Character) error {
		now := u.now().UTC().Truncate(1e9)
		if online && !c.Online {
			c.LastLogin = now
			c.Logins++
		}
		if !online && c.Online {
			c.LastLogout = now
		}
		c.Online = online
		u.touch(int64(charID))
		return nil
	})
}

// CreateFleet makes a fleet with boss as its fleet commander, one wing and
// one squad, and returns its id.
func (u *Universe) CreateFleet(boss int32) (int64, error) {
	var id int64
	err := u.change(boss, true, func(c *Character) error {
		u.leaveFleet(c)
		u.nextFleetID++
		f := &Fleet{ID: u.nextFleetID, BossID: boss, nextSubID: u.nextFleetID * 10}
		f.nextSubID++
		wing := Wing{ID: f.nextSubID, Name: "Wing 1"}
		f.nextSubID++
		wing.Squads = []Squad{{ID: f.nextSubID, Name: "Squad 1"}}
		f.Wings = []Wing{wing}
		u.fleets[f.ID] = f
		c.FleetID, c.FleetRole, c.WingID, c.SquadID = f.ID, "fleet_commander", -1, -1
		u.touch(f.ID)
		id = f.ID
		return nil
	})
	return id, err
}

// JoinFleet puts a character into a fleet's first squad as a squad member.
func (u *Universe) JoinFleet(fleetID int64, charID int32) error {
	u.mu.Lock()
	defer u.mu.Unlock()
	f, ok := u.fleets[fleetID]
	if !ok {
		return ErrNoFleet
	}
	c, err := u.character(charID)
	if err != nil {
		return err
	}
	if c.Biomassed {
		return ErrBiomassed
	}
	u.leaveFleet(c)
	c.FleetID, c.FleetRole = fleetID, "squad_member"
	c.WingID, c.SquadID = f.Wings[0].ID, f.Wings[0].Squads[0].ID
	u.touch(fleetID)
	return nil
}

// LeaveFleet takes a character out of its fleet; a fleet whose boss leaves
// closes.
func (u *Universe) LeaveFleet(charID int32) error {
	return u.change(charID, false, func(c *Character) error {
		u.leaveFleet(c)
		return nil
	})
}

func (u *Universe) leaveFleet(c *Character) {
	if c.FleetID == 0 {
		return
	}
	id := c.FleetID
	c.FleetID, c.FleetRole, c.WingID, c.SquadID = 0, "", 0, 0
	u.touch(id)
	if f := u.fleets[id]; f != nil && f.BossID == c.ID {
		for _, m := range u.characters {
			if m.FleetID == id {
				m.FleetID, m.FleetRole, m.WingID, m.SquadID = 0, "", 0, 0
			}
		}
		delete(u.fleets, id)
	}
}
