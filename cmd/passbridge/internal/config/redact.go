package config

// RedactURL is a database URL as errors and reports may show it: any
// password in it replaced by "xxxxx".
func RedactURL(raw string) string { return redactURL(raw) }
