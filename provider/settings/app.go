package settings

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/passbridge/passbridge/ceremony"
	"github.com/passbridge/passbridge/storage"
)

// accentColorPattern is the one form of color the pages accept: their
// script sets it as a CSS custom property, so nothing else may reach it.
var accentColorPattern = regexp.MustCompile(`^#[0-9a-f]{6}$`)

// PrepareApp is ceremony.PrepareApp with the page branding checked too:
// every problem of both is reported in one *ceremony.ValidationError.
func PrepareApp(a storage.App) (storage.App, error) {
	var problems []string
	a.LogoURL = strings.TrimSpace(a.LogoURL)
	if a.LogoURL != "" {
		if err := CheckHTTPSURL(a.LogoURL); err != nil {
			problems = append(problems, fmt.Sprintf("logo_url %q: %v", a.LogoURL, err))
		}
	}
	a.AccentColor = strings.ToLower(strings.TrimSpace(a.AccentColor))
	if a.AccentColor != "" && !accentColorPattern.MatchString(a.AccentColor) {
		problems = append(problems, fmt.Sprintf("accent_color %q: want #rrggbb, such as #0a7cff", a.AccentColor))
	}
	// Names are shown by pages and authenticators; ceremony.PrepareApp
	// bounds their length, this their characters.
	if hasControl(a.Name) {
		problems = append(problems, fmt.Sprintf("name %q contains a control character", a.Name))
	}
	if hasControl(a.RPName) {
		problems = append(problems, fmt.Sprintf("rp_name %q contains a control character", a.RPName))
	}
	a, err := ceremony.PrepareApp(a)
	var invalid *ceremony.ValidationError
	switch {
	case errors.As(err, &invalid):
		problems = append(invalid.Problems, problems...)
	case err != nil:
		return a, err
	}
	if len(problems) > 0 {
		return a, &ceremony.ValidationError{Problems: problems}
	}
	return a, nil
}

// maxURLLen bounds the URLs an operator registers (logos, key sets).
const maxURLLen = 2048

// CheckHTTPSURL checks a URL the provider or a browser fetches: absolute
// https with a host, no credentials, no fragment, nothing a page or a log
// would misread.
func CheckHTTPSURL(raw string) error {
	if len(raw) > maxURLLen {
		return fmt.Errorf("is longer than %d characters", maxURLLen)
	}
	if strings.ContainsFunc(raw, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
		return errors.New("must not contain spaces or control characters")
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil || !u.IsAbs() || u.Host == "":
		return errors.New("must be an absolute https URL")
	case !strings.EqualFold(u.Scheme, "https"):
		return errors.New("must use https")
	case u.User != nil:
		return errors.New("must not carry user information")
	case u.Fragment != "" || strings.Contains(raw, "#"):
		return errors.New("must not have a fragment")
	}
	return nil
}

// AppJSON is an app as the command line and the admin API show it.
type AppJSON struct {
	ID                     string    `json:"id"`
	Name                   string    `json:"name"`
	RPID                   string    `json:"rp_id"`
	RPName                 string    `json:"rp_name"`
	Origins                []string  `json:"origins"`
	UserVerification       string    `json:"user_verification"`
	ResidentKey            string    `json:"resident_key"`
	Attestation            string    `json:"attestation"`
	AllowSignup            bool      `json:"allow_signup"`
	SignCountPolicy        string    `json:"sign_count_policy"`
	TransactionTTLSeconds  int64     `json:"transaction_ttl_seconds"`
	CeremonyTimeoutSeconds int64     `json:"ceremony_timeout_seconds"`
	NonceTTLSeconds        int64     `json:"nonce_ttl_seconds"`
	LogoURL                string    `json:"logo_url"`
	AccentColor            string    `json:"accent_color"`
	CreatedAt              time.Time `json:"created_at"`
	UpdatedAt              time.Time `json:"updated_at"`
}

// NewAppJSON renders a stored app.
func NewAppJSON(a storage.App) AppJSON {
	origins := a.Origins
	if origins == nil {
		origins = []string{}
	}
	return AppJSON{
		ID: a.ID, Name: a.Name, RPID: a.RPID, RPName: a.RPName, Origins: origins,
		UserVerification: a.UserVerification, ResidentKey: a.ResidentKey, Attestation: a.Attestation,
		AllowSignup: a.AllowSignup, SignCountPolicy: a.SignCountPolicy,
		TransactionTTLSeconds:  int64(a.TransactionTTL / time.Second),
		CeremonyTimeoutSeconds: int64(a.CeremonyTimeout / time.Second),
		NonceTTLSeconds:        int64(a.NonceTTL / time.Second),
		LogoURL:                a.LogoURL, AccentColor: a.AccentColor,
		CreatedAt: a.CreatedAt, UpdatedAt: a.UpdatedAt,
	}
}
