package loadflow

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"time"
)

// Flow names, as --flow takes them.
const (
	// FlexRegister is a sign-up over the Flex API: the backend creates a
	// register transaction for a new external ID, the browser registers a
	// passkey, the backend verifies the nonce.
	FlexRegister = "flex-register"
	// FlexAuth is a sign-in bound to a user over the Flex API: an
	// authenticate transaction, the ceremony, the nonce verified.
	FlexAuth = "flex-auth"
	// Discoverable is a Flex sign-in without a transaction: the
	// authenticator names the user.
	Discoverable = "discoverable"
	// BYOAuth is a sign-in over the start/finish API (DESIGN §5).
	BYOAuth = "byo-auth"
	// OIDC is a whole OpenID Connect sign-in of a browser without a session:
	// authorize, the login page and its ceremony, the code exchanged, the ID
	// token verified.
	OIDC = "oidc"
	// OIDCSSO is an OpenID Connect sign-in of a browser whose session
	// satisfies the request: authorize, the redirects, the code exchanged,
	// the ID token verified; no ceremony.
	OIDCSSO = "oidc-sso"
)

// Names lists the flows New knows, in a stable order.
func Names() []string {
	return []string{FlexRegister, FlexAuth, Discoverable, BYOAuth, OIDC, OIDCSSO}
}

// NeedsClient reports whether flow name signs in through an OpenID Connect
// client.
func NeedsClient(name string) bool {
	return name == OIDC || name == OIDCSSO
}

// Target is the passbridge a flow drives and the objects it uses there.
type Target struct {
	// BaseURL is the server, which for the OpenID Connect flows must be its
	// issuer (discovery checks it), e.g. http://localhost:8080.
	BaseURL string
	// AppID and APIKey are an app and a key of it. Every flow needs them:
	// its users' passkeys are registered through the app's backend.
	AppID, APIKey string
	// Origin is the origin of the app's pages, where the Flex and
	// start/finish ceremonies run; "" is BaseURL's origin. The login page's
	// ceremonies run on BaseURL's origin.
	Origin string
	// RPID is the app's RP ID; when set, a registration made for another
	// RP ID is an error (the app does not fit the target).
	RPID string
	// ClientID, ClientSecret and RedirectURI are an OpenID Connect client of
	// the app, for the OIDC flows. The redirect URI is never fetched: the
	// code is read from the redirect to it.
	ClientID, ClientSecret, RedirectURI string
	// Public makes the client a public one: PKCE only, no secret. Otherwise
	// the client authenticates with client_secret_basic.
	Public bool
	// Scopes are asked for beyond openid by the OIDC flows, such as
	// offline_access for a refresh token with each code.
	Scopes []string
	// HTTP is the client whose transport every request shares (sized for the
	// concurrency: MaxIdleConnsPerHost) and whose timeout applies; each
	// virtual user gets a copy with its own cookie jar. nil is a client of
	// http.DefaultTransport with a 30 s timeout.
	HTTP *http.Client
	// UserPrefix starts the external IDs of the users the flow creates;
	// "" is "bench-" and a random suffix, so that runs do not meet.
	UserPrefix string
}

// Flow is one flow against a target.
type Flow interface {
	// Name is the flow's name (FlexAuth, …).
	Name() string
	// NewUser sets up virtual user i: a cookie jar and an authenticator,
	// with what the flow needs beforehand (a registered passkey, a session).
	NewUser(ctx context.Context, i int) (User, error)
}

// User is a virtual user of a flow.
type User interface {
	// Run runs one iteration of the flow and reports each step's time to
	// rec (nil: nowhere).
	Run(ctx context.Context, rec Recorder) error
}

// Recorder receives the time each step of an iteration took.
type Recorder interface {
	Step(name string, d time.Duration)
}

type discard struct{}

func (discard) Step(string, time.Duration) {}

func orDiscard(rec Recorder) Recorder {
	if rec == nil {
		return discard{}
	}
	return rec
}

// New returns flow name against t. It checks t and contacts nothing; the
// OpenID Connect flows fetch the discovery document with their first user.
func New(name string, t Target) (Flow, error) {
	if !slices.Contains(Names(), name) {
		return nil, fmt.Errorf("unknown flow %q: want one of %s", name, strings.Join(Names(), ", "))
	}
	c, err := newClient(t)
	if err != nil {
		return nil, err
	}
	if NeedsClient(name) {
		if t.ClientID == "" || t.RedirectURI == "" {
			return nil, fmt.Errorf("flow %s needs a client id and its redirect uri", name)
		}
		if !t.Public && t.ClientSecret == "" {
			return nil, fmt.Errorf("flow %s needs the client secret of a confidential client", name)
		}
	}
	switch name {
	case FlexRegister:
		return &flexRegisterFlow{c: c}, nil
	case FlexAuth:
		return &flexAuthFlow{c: c, bound: true}, nil
	case Discoverable:
		return &flexAuthFlow{c: c}, nil
	case BYOAuth:
		return &byoFlow{c: c}, nil
	}
	f, err := newOIDCFlow(c, name == OIDCSSO)
	if err != nil {
		return nil, err
	}
	return f, nil
}

// client is what a flow's users share: the target, its URLs, and the
// backend's HTTP client.
type client struct {
	t          Target
	base       string // BaseURL without a trailing slash
	pageOrigin string // where the app's pages run
	issuer     string // BaseURL's origin: where the login page runs
	backend    *http.Client
	prefix     string
}

func newClient(t Target) (*client, error) {
	u, err := url.Parse(t.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("base url %q: want an absolute http or https url", t.BaseURL)
	}
	if t.AppID == "" || t.APIKey == "" {
		return nil, errors.New("an app id and an api key of it are required")
	}
	c := &client{t: t, base: strings.TrimRight(t.BaseURL, "/"), issuer: u.Scheme + "://" + u.Host, prefix: t.UserPrefix}
	c.pageOrigin = t.Origin
	if c.pageOrigin == "" {
		c.pageOrigin = c.issuer
	}
	if c.prefix == "" {
		c.prefix = "bench-" + randomHex(4)
	}
	hc := t.HTTP
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	c.backend = withJar(hc, nil)
	return c, nil
}

// withJar copies hc (its transport and timeout) with jar, following no
// redirect: each redirect is a step of its own.
func withJar(hc *http.Client, jar http.CookieJar) *http.Client {
	return &http.Client{
		Transport: hc.Transport,
		Timeout:   hc.Timeout,
		Jar:       jar,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// externalID is the external ID of virtual user i.
func (c *client) externalID(i int) string {
	return fmt.Sprintf("%s-%d", c.prefix, i)
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return hex.EncodeToString(b)
}

// sequence numbers a user's iterations, which may run concurrently.
type sequence struct{ n atomic.Int64 }

func newSequence() *sequence { return &sequence{} }

func (s *sequence) next() int64 { return s.n.Add(1) }
