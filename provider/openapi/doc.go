// Package openapi serves the OpenAPI 3.1 description of passbridge's HTTP
// APIs (the Flex-compatible REST API, the start/finish API and its command
// form, the well-known and SDK resources, and the operational endpoints) and
// checks it against the routes a gin engine actually registers, so the
// document cannot drift from the server unnoticed.
//
// The document is written by hand in openapi.json and embedded; the OIDC
// provider's endpoints are described by its discovery document instead, and
// HTML pages are not an API, so neither appears here.
package openapi
