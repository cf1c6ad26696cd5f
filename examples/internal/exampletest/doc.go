// Package exampletest is what the examples' tests share: a real passbridge
// in the test process (every area serve mounts, on a real store, at
// http://localhost:PORT), the seeding the CLI does for an example (an app and
// its API key, an OIDC client and its secret), a Chromium tab driven as a
// person drives it, and the Node.js examples' processes.
//
// The examples themselves share nothing: each is what a user copies, and
// stands alone.
package exampletest
