package esi

import (
	"fmt"
	"testing"
)

func TestFleetAccess(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	c := f.cast()
	const scope = "esi-fleets.read_fleet.v1"
	boss, member, outsider := f.token(c.director, scope), f.token(c.member, scope), f.token(c.outsider, scope)

	f.do("GET", fmt.Sprintf("/characters/%d/fleet", c.director), boss, nil).want(t, 404)
	fleetID, err := f.u.CreateFleet(c.director)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.u.JoinFleet(fleetID, c.member); err != nil {
		t.Fatal(err)
	}
	var cf characterFleet
	f.do("GET", fmt.Sprintf("/characters/%d/fleet", c.member), member, nil).want(t, 200).json(t, &cf)
	if cf.FleetID != fleetID || cf.FleetBossID != c.director || cf.Role != "squad_member" {
		t.Errorf("member's fleet %+v", cf)
	}
	f.do("GET", fmt.Sprintf("/characters/%d/fleet", c.outsider), outsider, nil).want(t, 404)

	for _, sub := range []string{"", "/members", "/wings"} {
		path := fmt.Sprintf("/fleets/%d%s", fleetID, sub)
		f.do("GET", path, boss, nil).want(t, 200)
		f.do("GET", path, member, nil).want(t, 404)
		f.do("GET", path, outsider, nil).want(t, 404)
		f.do("GET", fmt.Sprintf("/fleets/%d%s", fleetID+1000, sub), boss, nil).want(t, 404)
	}
	var members []fleetMember
	f.do("GET", fmt.Sprintf("/fleets/%d/members", fleetID), boss, nil).want(t, 200).json(t, &members)
	if len(members) != 2 || members[0].CharacterID == members[1].CharacterID {
		t.Errorf("fleet members %+v", members)
	}

	// The boss leaving closes the fleet.
	if err := f.u.LeaveFleet(c.director); err != nil {
		t.Fatal(err)
	}
	f.do("GET", fmt.Sprintf("/fleets/%d", fleetID), boss, nil).want(t, 404)
	f.do("GET", fmt.Sprintf("/characters/%d/fleet", c.member), member, nil).want(t, 404)
}
