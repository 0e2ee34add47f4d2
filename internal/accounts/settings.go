package accounts

import "github.com/keepstar/keepstar/internal/settings"

// Settings of accounts and logins.
var (
	// SettingDisableAltLogin refuses logins with characters that are not
	// their account's main (Neucore's disable_alt_login; Alliance Auth
	// always refuses them).
	SettingDisableAltLogin = settings.Definition{Name: "accounts.disable_alt_login", Section: "accounts.settings.section",
		Kind: settings.KindBool, Default: "false", Label: "accounts.settings.disable_alt_login", Help: "accounts.settings.disable_alt_login_help"}
	// SettingAllowNoScopes offers the core.no-scopes login (Neucore's
	// allow_login_no_scopes).
	SettingAllowNoScopes = settings.Definition{Name: "accounts.allow_login_no_scopes", Section: "accounts.settings.section",
		Kind: settings.KindBool, Default: "false", Label: "accounts.settings.allow_login_no_scopes", Help: "accounts.settings.allow_login_no_scopes_help"}
	// SettingAllowCharacterDeletion lets members delete their own
	// characters (Neucore's allow_character_deletion).
	SettingAllowCharacterDeletion = settings.Definition{Name: "accounts.allow_character_deletion", Section: "accounts.settings.section",
		Kind: settings.KindBool, Default: "false", Label: "accounts.settings.allow_character_deletion", Help: "accounts.settings.allow_character_deletion_help"}
)

// Settings are the definitions this package reads.
var Settings = []settings.Definition{SettingDisableAltLogin, SettingAllowNoScopes, SettingAllowCharacterDeletion}
