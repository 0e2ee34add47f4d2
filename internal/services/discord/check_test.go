package discord

import (
	"context"
	"reflect"
	"testing"

	"github.com/keepstar/keepstar/internal/discordsim"
	"github.com/keepstar/keepstar/internal/services"
)

func (w *cworld) check(managed ...string) []services.Problem {
	w.t.Helper()
	ps, err := w.k.Check(context.Background(), managed)
	if err != nil {
		w.t.Fatal(err)
	}
	return ps
}

func wantProblems(t *testing.T, got []services.Problem, want ...services.Problem) {
	t.Helper()
	if len(got) == 0 && len(want) == 0 {
		return
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("problems\n%+v\nwant\n%+v", got, want)
	}
}

func TestCheck(t *testing.T) {
	w := newConn(t, nil)
	w.sim.SetMembersIntent(true)
	w.role("Member")
	wantProblems(t, w.check("Member", "Not yet made"))
	// A role above the bot's highest cannot be given.
	w.sim.AddRole(w.guild.ID, "Director", true)
	wantProblems(t, w.check("Member", "Director"),
		services.Problem{Message: "services.discord.problem.role_above", Args: map[string]any{"Role": "Director", "Bot": "Keepstar"}})
	// Nor one Discord manages.
	wantProblems(t, w.check("Keepstar"),
		services.Problem{Message: "services.discord.problem.role_managed", Args: map[string]any{"Role": "Keepstar"}})
	// Permissions missing; Administrator holds them all.
	w.sim.SetBotPermissions(w.guild.ID, discordsim.PermManageRoles|discordsim.PermCreateInstantInvite)
	wantProblems(t, w.check(),
		services.Problem{Message: "services.discord.problem.permission.kick_members"},
		services.Problem{Message: "services.discord.problem.permission.manage_nicknames"})
	w.sim.SetBotPermissions(w.guild.ID, discordsim.PermAdministrator)
	wantProblems(t, w.check())
	// The member list cannot be read.
	w.sim.SetMembersIntent(false)
	wantProblems(t, w.check(), services.Problem{Message: "services.discord.problem.intent"})
	// The bot was removed from the guild.
	w.sim.SetBotInGuild(w.guild.ID, false)
	wantProblems(t, w.check(), services.Problem{Message: "services.discord.problem.not_in_guild"})
}

func TestCheckSetup(t *testing.T) {
	w := newConn(t, map[string]string{SettingNoRoleCreation: "true"})
	w.sim.SetMembersIntent(true)
	wantProblems(t, w.check("Member"),
		services.Problem{Message: "services.discord.problem.role_missing", Args: map[string]any{"Role": "Member"}})
	w.k = w.open(map[string]string{SettingGuildID: "404404"})
	wantProblems(t, w.check(), services.Problem{Message: "services.discord.problem.guild_unknown", Args: map[string]any{"Guild": "404404"}})
	w.k = w.open(map[string]string{SettingBotToken: "wrong"})
	wantProblems(t, w.check(), services.Problem{Message: "services.discord.problem.token"})
}
