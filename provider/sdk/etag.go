package sdk

import "strings"

// etagMatches reports whether the If-None-Match header value ifNoneMatch
// names etag. RFC 9110 §13.1.2: the comparison is weak (a W/ prefix is
// ignored) and "*" matches any current representation.
func etagMatches(ifNoneMatch, etag string) bool {
	for tag := range strings.SplitSeq(ifNoneMatch, ",") {
		tag = strings.TrimSpace(tag)
		if tag == "*" {
			return true
		}
		if strings.TrimPrefix(tag, "W/") == etag {
			return true
		}
	}
	return false
}
