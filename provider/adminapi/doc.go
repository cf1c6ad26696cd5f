// Package adminapi is the admin REST API under /admin/v1 (DESIGN §9): what
// the command line does to apps, API keys, OIDC clients, users, devices,
// sessions, enrolment links, imports and exports, the audit log and the
// signing keys, over HTTP for operators holding an admin key
// ("Authorization: Bearer pba_…").
//
// Handlers are thin: validation is shared with the command line
// (provider/settings) and changes to users and devices go through the
// ceremony core. Every change is recorded in the audit log, in the
// transaction of the change, with the admin key as its actor
// ("admin_key:<id>"); reads are not recorded one by one (the key's last use
// is, to the minute), except an export, which copies an app's users and
// passkeys out. Lists are cursor-paged: ?limit= (1 to 200, default 50) and
// ?cursor= give {"items": […], "next_cursor": …}.
package adminapi
