// Package fat is fleet activity tracking, Alliance Auth's
// fleetactivitytracking: a fleet commander (permission fat.manage) makes a
// fatlink, a link with a random hash that expires; a member who opens it
// while logged in picks one of their characters holding a token of the
// EVE login the setting fat.login names, and is recorded with the system,
// ship type and station or structure ESI reports (one record per character
// and link; refused once the link expired or while the character is
// offline). Beyond Alliance Auth, ESI fleet import: the fleet boss's token
// of the login fat.fleet_login (esi-fleets.read_fleet.v1) lists the whole
// fleet, recorded in one click. Statistics (permission
// fat.view_statistics): per corporation and month, a corporation's members,
// the top members, with CSV; everyone sees their own by month. The
// statistics are kept as monthly aggregates (fat_monthly,
// fat_corp_monthly) in the transaction that writes the records.
package fat
