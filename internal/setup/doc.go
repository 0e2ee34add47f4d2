// Package setup is the superusers' setup checklist: what a new site needs
// before members come (the EVE application, a state for the organization,
// the first groups, who administers what, jobs that run), each item ticking
// itself from the data. The items are the features' own
// (feature.Feature.Setup), gathered in the order of the features, so a
// service or an app adds its item where it is built. The package serves
// the checklist's page, /admin/setup; the dashboard shows the checklist to
// superusers until every item is done.
package setup
