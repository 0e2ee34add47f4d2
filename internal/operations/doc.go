// Package operations is the superusers' view of the running site: the
// operations page (every kind of job with its schedule, last run and
// progress, a "run now" per scheduled job, the queue, the last day's runs,
// ESI's limits, the versions) and River UI, River's own pages for the jobs,
// mounted under /admin/jobs/.
package operations
