// Package cachestore keeps apps, API keys and OIDC clients in memory in
// front of another storage.Store.
//
// Every request to the /v1 APIs names an app, and most of them (CORS
// preflights, the browser's ceremony calls, requests with a wrong API key)
// prove nothing about the caller before the app is known; every Flex
// management call then looks its API key up, and every OIDC request reads
// its client several times. Reading these from the database each time
// would let anyone turn requests into queries; reading them from memory
// makes them nearly free.
//
// GetApp, ListApps, GetAPIKeyByHash and GetClient are answered from memory
// for up to Config.TTL (5 s by default) after they were read. Concurrent
// misses of one key share one query, and a key that names nothing (an app
// ID, a key digest, a client ID) is remembered too, in a bounded set per
// kind, so that made-up keys cannot grow memory. Errors other than "not
// found" are never remembered. TouchAPIKey goes to the inner store and
// moves the remembered key's LastUsedAt with it.
//
// Changes made through this Store are seen at once by its next read:
// CreateApp, UpdateApp, DeleteApp (with the keys and clients it takes
// along), CreateAPIKey (which forgets its digest remembered as unknown),
// DeleteAPIKey, CreateClient, UpdateClient and DeleteClient, and the same
// inside InTx once the transaction ends.
//
// Changes made another way (by the CLI, by another instance sharing the
// database, by hand in SQL) are seen through the inner store's change feed
// (storage.ChangeFeed), which Start subscribes to: on PostgreSQL, triggers
// NOTIFY every change of an app, API key or client when its transaction
// commits (touching a key is no change), and the feed forgets the row it
// names. When the feed loses its connection, and again when it is back,
// everything is forgotten, since notifications may have been missed.
//
// The bound, then: a revoked API key, a deleted or changed client, a
// changed or deleted app stops being served by every instance within the
// time a notification takes to arrive (milliseconds) while the instance's
// feed is connected, and within TTL otherwise (the feed down, not started,
// or absent). SQLite has no feed: one server process owns its file, and a
// change the CLI makes to it is seen within TTL.
//
// Every other method goes to the inner store unchanged.
package cachestore
