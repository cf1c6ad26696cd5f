// Package cachestore keeps apps in memory in front of another storage.Store.
//
// Every request to the /v1 APIs names an app, and most of them (CORS
// preflights, the browser's ceremony calls, requests with a wrong API key)
// prove nothing about the caller before the app is known. Reading the app
// from the database each time would let anyone turn requests into queries;
// reading it from memory makes them nearly free.
//
// GetApp and ListApps are answered from memory for up to Config.TTL (5 s by
// default) after they were read. Concurrent misses of one key share one
// query, and an app ID that names no app is remembered too (in a bounded
// set, so that made-up IDs cannot grow memory). Errors other than "not
// found" are never remembered.
//
// The staleness bound: CreateApp, UpdateApp and DeleteApp made through this
// Store (inside InTx too, once the transaction ends) are seen at once by the
// next read of this Store. A change made another way — by the CLI, by
// another instance sharing the database — is seen within TTL.
//
// Every other method goes to the inner store unchanged.
package cachestore
