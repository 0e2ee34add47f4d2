// Package tracking is member tracking, Neucore's: a job reads each
// corporation's /corporations/{id}/membertracking with a director's
// core.tracking token once per cache period, resolves the names of new or
// expired locations and ship types (structures that answer 403 backed off
// as Neucore's fetch_structure_name_error_days does) and stores the
// members in one transaction (tracking_corporations, tracking_members,
// tracking_names). Who sees a corporation is its tracking groups
// (tracking_groups) with the role tracking; tracking-admin picks them.
// The pages are /tracking (per corporation, filtered, sorted, CSV) and
// /admin/tracking; the Application API's memberTracking reads Members.
package tracking
