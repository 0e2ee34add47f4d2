// Package telemetry builds Keepstar's structured logger and carries the
// attributes of the work in hand (request id, job id and kind) in the
// context, so that every log line written with the ...Context methods names
// the request or job it belongs to.
package telemetry
