// Package ratelimit counts requests in fixed windows and answers the way
// Neucore's rate limits do (Middleware/Psr15/RateLimit*.php): the headers
// X-Neucore-Rate-Limit-Remain and X-Neucore-Rate-Limit-Reset, and a 429 with
// a text body beyond the limit.
//
// A window begins with a key's first request and lasts the limit's length;
// the first request after it begins the next. Counters come in two kinds:
// Memory, in the process, and Shared, in the database's rate_limits table,
// which every process serving the site counts into with one upsert per
// request. ForDatabase picks the one a limit that must hold across the site
// needs. The users are internal/web (per client address, always in memory)
// and internal/appapi (per application).
package ratelimit
