// Package feature is the seam every feature of Keepstar plugs into: one
// Feature value per feature package says what the feature brings (its
// settings, permissions, routes, menu entries, jobs, metrics, translations)
// and which hooks it offers to the rest of the house (account merges,
// account status changes, group checks), and the cards it shows on a
// member's dashboard (Set.Cards collects them). The composition root
// (internal/app) lists the features once and loops over them; nothing else
// needs to know a feature exists.
//
// The hooks are plain functions with the signatures of the packages that
// call them (accounts.Merger, accounts.StatusHook, groups.Check), so this
// package depends only on the lowest layers (store, settings, jobs, web)
// and every feature, core or not, can import it. The services a feature
// builds on are in internal/core.
//
// See docs/development.md, "Adding a feature", for a worked example.
package feature
