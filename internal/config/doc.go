// Package config reads Keepstar's settings from KEEPSTAR_ environment
// variables and an optional KEY=VALUE config file, validates them all at once
// and reports every problem by the setting's name. The Settings table is the
// one list of settings; docs/configuration.md documents it and a test keeps
// the two in step.
package config
