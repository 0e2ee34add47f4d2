package evemail

import (
	"fmt"
	"sort"

	"github.com/keepstar/keepstar/internal/access"
	"github.com/keepstar/keepstar/internal/settings"
)

// The settings, on the settings page (role settings) in their own section:
// Neucore's mail_invalid_token_* and mail_missing_character_* variables.
const section = "evemail.settings.section"

// The limits of ESI's send-mail body: 1,000 characters of subject, 10,000
// of body.
const (
	maxSubject = 1000
	maxBody    = 10000
)

var (
	SettingInvalidActive = settings.Definition{Name: name + ".invalid_active", Section: section, Kind: settings.KindBool,
		Default: "false", Label: "evemail.settings.invalid_active", Help: "evemail.settings.invalid_active_help"}
	SettingInvalidAlliances = settings.Definition{Name: name + ".invalid_alliances", Section: section, Kind: settings.KindText,
		MaxLen: 4000, Validate: idList, EVEKind: "alliance",
		Label: "evemail.settings.invalid_alliances", Help: "evemail.settings.invalid_alliances_help"}
	SettingInvalidCorporations = settings.Definition{Name: name + ".invalid_corporations", Section: section, Kind: settings.KindText,
		MaxLen: 4000, Validate: idList, EVEKind: "corporation",
		Label: "evemail.settings.invalid_corporations", Help: "evemail.settings.invalid_corporations_help"}
	SettingInvalidSubject = settings.Definition{Name: name + ".invalid_subject", Section: section, Kind: settings.KindText,
		MaxLen: maxSubject,
		Label:  "evemail.settings.invalid_subject", Help: "evemail.settings.subject_help"}
	SettingInvalidBody = settings.Definition{Name: name + ".invalid_body", Section: section, Kind: settings.KindLong,
		MaxLen: maxBody,
		Label:  "evemail.settings.invalid_body", Help: "evemail.settings.body_help"}
	SettingMissingActive = settings.Definition{Name: name + ".missing_active", Section: section, Kind: settings.KindBool,
		Default: "false", Label: "evemail.settings.missing_active", Help: "evemail.settings.missing_active_help"}
	SettingMissingCorporations = settings.Definition{Name: name + ".missing_corporations", Section: section, Kind: settings.KindText,
		MaxLen: 4000, Validate: idList, EVEKind: "corporation",
		Label: "evemail.settings.missing_corporations", Help: "evemail.settings.missing_corporations_help"}
	SettingMissingDays = settings.Definition{Name: name + ".missing_days", Section: section, Kind: settings.KindInt,
		Default: "10", Min: 1, Max: 365, Label: "evemail.settings.missing_days", Help: "evemail.settings.missing_days_help"}
	SettingMissingSubject = settings.Definition{Name: name + ".missing_subject", Section: section, Kind: settings.KindText,
		MaxLen: maxSubject,
		Label:  "evemail.settings.missing_subject", Help: "evemail.settings.subject_help"}
	SettingMissingBody = settings.Definition{Name: name + ".missing_body", Section: section, Kind: settings.KindLong,
		MaxLen: maxBody,
		Label:  "evemail.settings.missing_body", Help: "evemail.settings.body_help"}
)

// Settings are the definitions this package reads.
var Settings = []settings.Definition{SettingInvalidActive, SettingInvalidAlliances, SettingInvalidCorporations,
	SettingInvalidSubject, SettingInvalidBody, SettingMissingActive, SettingMissingCorporations, SettingMissingDays,
	SettingMissingSubject, SettingMissingBody}

// idList checks a list of EVE ids typed into a setting.
func idList(s string) error {
	_, err := access.IDList(s)
	return err
}

// ids reads a checked list of EVE ids, sorted.
func ids(s string) ([]int32, error) {
	set, err := access.IDList(s)
	if err != nil {
		return nil, fmt.Errorf("evemail: %w", err)
	}
	out := make([]int32, 0, len(set))
	for id := range set {
		out = append(out, id)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out, nil
}
