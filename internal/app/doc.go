// Package app is Keepstar's composition root: it opens the database, applies
// migrations, registers every feature's jobs and routes, and runs the web
// server and job workers of a serve process until it is told to stop.
package app
