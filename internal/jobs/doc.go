// Package jobs is Keepstar's background work: River's job queue over SQLite or
// PostgreSQL, the registry where features add their workers and schedules, and
// the metrics of the queue. Jobs are inserted in the same transaction as the
// change that needs them (InsertTx), and a job whose process died is run again
// (River's rescuer, after KEEPSTAR_JOB_RESCUE_AFTER).
package jobs
