package cli

import "github.com/passbridge/passbridge/provider/settings"

// checkRedirectURI applies the rules of a redirect URI (settings.CheckRedirectURI).
func checkRedirectURI(raw string) error { return settings.CheckRedirectURI(raw) }
