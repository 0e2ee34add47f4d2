package phpbb3

import (
	"fmt"
	"strings"

	"github.com/keepstar/keepstar/internal/services/forumdb"
)

// queries are the statements on one forum's tables, their names made
// from the instance's table prefix (checked to be [A-Za-z0-9_]).
type queries struct {
	prefix string

	userByClean, lockUser, config, groupByName              string
	insertUser, addMembership, enable, disable, setPassword string
	hasPrimaryMembership, addPrimaryMembership              string
	deleteSessions, deleteKeys, insertGroup, listGroups     string
}

func newQueries(prefix string) queries {
	r := strings.NewReplacer("{users}", prefix+"users", "{groups}", prefix+"groups", "{user_group}", prefix+"user_group",
		"{sessions}", prefix+"sessions", "{sessions_keys}", prefix+"sessions_keys", "{config}", prefix+"config")
	return queries{
		prefix:      prefix,
		userByClean: r.Replace(`SELECT user_id, user_type FROM {users} WHERE username_clean = ? FOR UPDATE`),
		lockUser:    r.Replace(`SELECT user_type FROM {users} WHERE user_id = ? FOR UPDATE`),
		config: r.Replace(`SELECT config_name, config_value FROM {config}
			WHERE config_name IN ('default_lang', 'default_style', 'board_timezone', 'default_dateformat')`),
		groupByName: r.Replace(`SELECT group_id FROM {groups} WHERE group_name = ? ORDER BY group_id LIMIT 1`),
		// Every NOT NULL column without a default is given (user_permissions,
		// user_sig: MEDIUMTEXT), and those whose default does not suit a
		// user made by Keepstar: user_new 0 (no "newly registered" limits),
		// user_passchg now.
		insertUser: r.Replace(`INSERT INTO {users} (user_type, group_id, username, username_clean, user_password, user_passchg,
			user_regdate, user_email, user_lang, user_style, user_timezone, user_dateformat, user_form_salt, user_permissions,
			user_sig, user_new) VALUES (?, ?, ?, ?, ?, ?, ?, '', ?, ?, ?, ?, ?, '', '', 0)`),
		addMembership: r.Replace(`INSERT INTO {user_group} (group_id, user_id, group_leader, user_pending) VALUES (?, ?, 0, 0)`),
		enable: r.Replace(`UPDATE {users} SET user_type = ?, user_inactive_reason = 0, user_inactive_time = 0, user_password = ?,
			user_passchg = ?, user_login_attempts = 0, user_actkey = '', user_newpasswd = '', user_permissions = '', user_perm_from = 0
			WHERE user_id = ?`),
		disable: r.Replace(`UPDATE {users} SET user_type = ?, user_inactive_reason = ?, user_inactive_time = ?, user_password = ?,
			user_actkey = '', user_newpasswd = '', user_permissions = '', user_perm_from = 0 WHERE user_id = ?`),
		setPassword: r.Replace(`UPDATE {users} SET user_password = ?, user_passchg = ?, user_login_attempts = 0 WHERE user_id = ?`),
		hasPrimaryMembership: r.Replace(`SELECT 1 FROM {user_group} ug JOIN {users} u ON u.user_id = ug.user_id AND u.group_id = ug.group_id
			WHERE ug.user_id = ? LIMIT 1`),
		addPrimaryMembership: r.Replace(`INSERT INTO {user_group} (group_id, user_id, group_leader, user_pending)
			SELECT group_id, user_id, 0, 0 FROM {users} WHERE user_id = ?`),
		deleteSessions: r.Replace(`DELETE FROM {sessions} WHERE session_user_id = ?`),
		deleteKeys:     r.Replace(`DELETE FROM {sessions_keys} WHERE user_id = ?`),
		insertGroup:    r.Replace(`INSERT INTO {groups} (group_type, group_name, group_desc, group_legend) VALUES (?, ?, '', 0)`),
		listGroups:     r.Replace(`SELECT group_name FROM {groups} WHERE group_type <> 3 ORDER BY group_name`),
	}
}

func (q queries) table(name string) string { return q.prefix + name }

// state reads a user with its groups and the wanted ones (n names; the
// arguments are the names, then the user id). Without a lock: Keepstar
// syncs one account at a time, and the writes that follow hold whatever
// phpBB changed meanwhile (joins skip memberships that exist).
func (q queries) state(n int) string {
	on := "g.group_id IN (SELECT m.group_id FROM " + q.table("user_group") + " m WHERE m.user_id = u.user_id)"
	if n > 0 {
		on = "g.group_name IN (" + forumdb.Placeholders(n) + ") OR " + on
	}
	return fmt.Sprintf(`SELECT u.group_id, u.user_avatar, g.group_id, g.group_name, g.group_type, ug.user_pending FROM %s u
		LEFT JOIN %s g ON %s LEFT JOIN %s ug ON ug.group_id = g.group_id AND ug.user_id = u.user_id
		WHERE u.user_id = ? ORDER BY g.group_id`, q.table("users"), q.table("groups"), on, q.table("user_group"))
}

// addMemberships joins the user to n groups it is not in yet (arguments:
// the user id, the group ids, the user id): user_group has no unique key,
// so the statement itself skips memberships that exist.
func (q queries) addMemberships(n int) string {
	return fmt.Sprintf(`INSERT INTO %s (group_id, user_id, group_leader, user_pending) SELECT g.group_id, ?, 0, 0 FROM %s g
		WHERE g.group_id IN (%s) AND NOT EXISTS (SELECT 1 FROM %s x WHERE x.group_id = g.group_id AND x.user_id = ?)`,
		q.table("user_group"), q.table("groups"), forumdb.Placeholders(n), q.table("user_group"))
}

// approveMemberships makes n pending memberships full ones.
func (q queries) approveMemberships(n int) string {
	return fmt.Sprintf(`UPDATE %s SET user_pending = 0 WHERE user_id = ? AND group_id IN (%s)`, q.table("user_group"), forumdb.Placeholders(n))
}

func (q queries) removeMemberships(n int) string {
	return fmt.Sprintf(`DELETE FROM %s WHERE user_id = ? AND group_id IN (%s)`, q.table("user_group"), forumdb.Placeholders(n))
}

// removeNamedMemberships takes away groups by name, never phpBB's own.
func (q queries) removeNamedMemberships(n int) string {
	return fmt.Sprintf(`DELETE ug FROM %s ug JOIN %s g ON g.group_id = ug.group_id
		WHERE ug.user_id = ? AND g.group_type <> ? AND g.group_name IN (%s)`, q.table("user_group"), q.table("groups"), forumdb.Placeholders(n))
}

// resetPrimary makes the default group primary when the primary group is
// one of n named groups (arguments: the default group's name, the user
// id, GROUP_SPECIAL, the names).
func (q queries) resetPrimary(n int) string {
	return fmt.Sprintf(`UPDATE %s u SET u.group_id = (SELECT d.group_id FROM %s d WHERE d.group_name = ? ORDER BY d.group_id LIMIT 1)
		WHERE u.user_id = ? AND u.group_id IN (SELECT g.group_id FROM %s g WHERE g.group_type <> ? AND g.group_name IN (%s))`,
		q.table("users"), q.table("groups"), q.table("groups"), forumdb.Placeholders(n))
}

// observe reads the users of a page of accounts with their groups.
func (q queries) observe(n int) string {
	return fmt.Sprintf(`SELECT u.user_id, u.user_type, COALESCE(g.group_name, ''), COALESCE(g.group_type, -1) FROM %s u
		LEFT JOIN %s ug ON ug.user_id = u.user_id AND ug.user_pending = 0 LEFT JOIN %s g ON g.group_id = ug.group_id
		WHERE u.user_id IN (%s)`, q.table("users"), q.table("user_group"), q.table("groups"), forumdb.Placeholders(n))
}
