package sitetest

import "github.com/keepstar/keepstar/internal/jobs"

// Queue is the job queue of the site's serve process, for tests that watch
// a job fail, retry or snooze (RunJob wants it to succeed at once), or run
// a schedule on demand (RunNow).
func (s *Site) Queue() *jobs.Queue { return s.queue }
