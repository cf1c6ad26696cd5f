// Package provider is passbridge's HTTP server: one gin engine carrying the
// operational endpoints (/healthz, /readyz, /metrics), the shared middleware
// of provider/httpapi, and the areas of the public surface, each of which
// mounts its own routes.
package provider
