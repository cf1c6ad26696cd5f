// Package web is the plumbing the server's pages share: the browser and
// session cookies, security headers and the pages' templates.
package web
