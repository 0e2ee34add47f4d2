package smf

import (
	"context"

	"github.com/keepstar/keepstar/internal/services"
	"github.com/keepstar/keepstar/internal/services/forumdb"
)

// TypeName is the connector type's name, stored with its instances.
const TypeName = "smf"

// DefaultPrefix is SMF's default table prefix.
const DefaultPrefix = "smf_"

// Type is the SMF connector type.
func Type() services.Type {
	return services.Type{
		Name:         TypeName,
		Label:        "services.smf.label",
		Help:         "services.smf.help",
		Capabilities: services.Capabilities{Password: true, Groups: true, Nickname: true},
		Settings: []services.Setting{
			{Key: forumdb.SettingAddress, Label: "services.smf.setting.db_address", Help: "services.smf.setting.db_address_help",
				Required: true, Check: forumdb.CheckAddress},
			{Key: forumdb.SettingDatabase, Label: "services.smf.setting.db_name", Help: "services.smf.setting.db_name_help",
				Required: true, Check: forumdb.CheckDatabase},
			{Key: forumdb.SettingUser, Label: "services.smf.setting.db_user", Help: "services.smf.setting.db_user_help",
				Required: true, Check: forumdb.CheckUser},
			{Key: forumdb.SettingPassword, Label: "services.smf.setting.db_password", Help: "services.smf.setting.db_password_help",
				Secret: true, Check: forumdb.CheckPassword},
			{Key: forumdb.SettingPrefix, Label: "services.smf.setting.table_prefix", Help: "services.smf.setting.table_prefix_help",
				Check: forumdb.CheckPrefix},
			{Key: forumdb.SettingDefaultGroup, Label: "services.smf.setting.default_group",
				Help: "services.smf.setting.default_group_help", Check: forumdb.CheckGroupName},
			{Key: forumdb.SettingCreateGroups, Label: "services.smf.setting.create_groups",
				Help: "services.smf.setting.create_groups_help", Bool: true},
			{Key: forumdb.SettingAvatar, Label: "services.smf.setting.avatar", Help: "services.smf.setting.avatar_help", Bool: true},
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
