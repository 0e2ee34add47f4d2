package phpbb3

import (
	"context"

	"github.com/keepstar/keepstar/internal/services"
	"github.com/keepstar/keepstar/internal/services/forumdb"
)

// TypeName is the connector type's name, stored with its instances.
const TypeName = "phpbb3"

// DefaultPrefix is phpBB's default table prefix.
const DefaultPrefix = "phpbb_"

// DefaultGroup is the group phpBB gives every registered user.
const DefaultGroup = "REGISTERED"

// Type is the phpBB3 connector type.
func Type() services.Type {
	return services.Type{
		Name:         TypeName,
		Label:        "services.phpbb3.label",
		Help:         "services.phpbb3.help",
		Capabilities: services.Capabilities{Password: true, Groups: true},
		Settings: []services.Setting{
			{Key: forumdb.SettingAddress, Label: "services.phpbb3.setting.db_address", Help: "services.phpbb3.setting.db_address_help",
				Required: true, Check: forumdb.CheckAddress},
			{Key: forumdb.SettingDatabase, Label: "services.phpbb3.setting.db_name", Help: "services.phpbb3.setting.db_name_help",
				Required: true, Check: forumdb.CheckDatabase},
			{Key: forumdb.SettingUser, Label: "services.phpbb3.setting.db_user", Help: "services.phpbb3.setting.db_user_help",
				Required: true, Check: forumdb.CheckUser},
			{Key: forumdb.SettingPassword, Label: "services.phpbb3.setting.db_password", Help: "services.phpbb3.setting.db_password_help",
				Secret: true, Check: forumdb.CheckPassword},
			{Key: forumdb.SettingPrefix, Label: "services.phpbb3.setting.table_prefix", Help: "services.phpbb3.setting.table_prefix_help",
				Check: forumdb.CheckPrefix},
			{Key: forumdb.SettingDefaultGroup, Label: "services.phpbb3.setting.default_group",
				Help: "services.phpbb3.setting.default_group_help", Check: forumdb.CheckGroupName},
			{Key: forumdb.SettingCreateGroups, Label: "services.phpbb3.setting.create_groups",
				Help: "services.phpbb3.setting.create_groups_help", Bool: true},
			{Key: forumdb.SettingAvatar, Label: "services.phpbb3.setting.avatar", Help: "services.phpbb3.setting.avatar_help", Bool: true},
		},
		// Alliance Auth's default for every forum.
		DefaultNameFormat: "{character_name}",
		Sanitize:          Sanitize,
		Open: func(ctx context.Context, inst services.Instance, env services.Env) (services.Connector, error) {
			return open(inst, env)
		},
		Locales: Locales,
	}
}
