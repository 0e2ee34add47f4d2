// Package access decides what an account may do. For now it owns the
// catalogue of roles (Neucore's user roles) and the roles given to accounts
// directly; states, groups and permissions join it later. Superusers hold
// every role without being given any.
package access
