package access

// Guard says why only superusers change a group: its flags, rules,
// mappings, managers and members. A group that grants permissions, or that
// a role requires, is guarded as a restricted group is: whoever could put
// an account in it, or make it default or mapped, could give themselves
// what it grants (groups.manage_all, access.audit, any later permission).
type Guard string

const (
	// Unguarded: group admins and managers change it as their rights say.
	Unguarded       Guard = ""
	GuardRestricted Guard = "restricted"  // the restricted flag
	GuardGrants     Guard = "permissions" // it grants permissions
	GuardRole       Guard = "role"        // a role requires it
)

// Guards lists the guards, for pages that build a message id from one.
var Guards = []Guard{GuardRestricted, GuardGrants, GuardRole}

// GuardOf gives the guard of a group: restricted, granting permissions,
// required by a role. The restricted flag is named first, then
// permissions, then roles.
func GuardOf(restricted, grants, roleRequired bool) Guard {
	switch {
	case restricted:
		return GuardRestricted
	case grants:
		return GuardGrants
	case roleRequired:
		return GuardRole
	}
	return Unguarded
}

// Guard gives a group's guard under the configuration; Unguarded for a
// group it does not have.
func (c *Config) Guard(id int64) Guard {
	if c.groups == nil {
		c.Compile()
	}
	g := c.groups[id]
	if g == nil {
		return Unguarded
	}
	return GuardOf(g.Restricted, len(g.Permissions) > 0, c.roleRequired[id])
}

// Refusal is the refusal of a guard: why a member may not join.
func (g Guard) Refusal() Refusal {
	switch g {
	case GuardRestricted:
		return RefusedRestricted
	case GuardGrants:
		return RefusedGrants
	case GuardRole:
		return RefusedRole
	}
	return ""
}

// Guarded reports whether a refusal is a guard's: only a superuser may put
// the account in the group.
func (r Refusal) Guarded() bool {
	return r == RefusedRestricted || r == RefusedGrants || r == RefusedRole
}
