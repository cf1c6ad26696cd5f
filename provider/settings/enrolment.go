package settings

import (
	"fmt"
	"time"

	"github.com/passbridge/passbridge/ceremony"
)

// EnrolmentLinkRequest is the optional body of a call that issues an
// enrolment link (DESIGN §9), on the admin API and the Flex management API
// alike: the link's lifetime in seconds.
type EnrolmentLinkRequest struct {
	TTL *int64 `json:"ttl"`
}

// Lifetime is the link's lifetime the request asks for, 0 for the default,
// or why it cannot be given.
func (r EnrolmentLinkRequest) Lifetime() (time.Duration, error) {
	if r.TTL == nil {
		return 0, nil
	}
	lo, hi := int64(ceremony.MinEnrolmentLinkTTL/time.Second), int64(ceremony.MaxEnrolmentLinkTTL/time.Second)
	if *r.TTL < lo || *r.TTL > hi {
		return 0, fmt.Errorf("ttl %d is out of range: an enrolment link lasts from %d seconds (5 minutes) to %d seconds (7 days)",
			*r.TTL, lo, hi)
	}
	return time.Duration(*r.TTL) * time.Second, nil
}

// EnrolmentLinkJSON is an issued link, shown once: its token is stored only
// as a digest.
type EnrolmentLinkJSON struct {
	URL       string    `json:"url"`
	ExpiresAt time.Time `json:"expires_at"`
}
