package cli

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/spf13/cobra"

	"github.com/passbridge/passbridge/cmd/passbridge/internal/config"
	"github.com/passbridge/passbridge/provider/oidc"
	"github.com/passbridge/passbridge/provider/signing"
	"github.com/passbridge/passbridge/storage"
)

// clientJSON is an OIDC client as the CLI prints it. The secret exists only
// in the output of the command that issued it: the store keeps its digest
// and a sealed copy, which are never printed.
type clientJSON struct {
	ClientID                    string          `json:"client_id"`
	ClientSecret                string          `json:"client_secret,omitempty"`
	AppID                       string          `json:"app_id"`
	Name                        string          `json:"name"`
	AuthMethod                  string          `json:"auth_method"`
	RedirectURIs                []string        `json:"redirect_uris"`
	PostLogoutRedirectURIs      []string        `json:"post_logout_redirect_uris"`
	JWKS                        json.RawMessage `json:"jwks"` // null: none registered
	JWKSURI                     string          `json:"jwks_uri"`
	AccessTokenType             string          `json:"access_token_type"` // "opaque" | "jwt"
	Scopes                      []string        `json:"scopes"`
	IDTokenLifetimeSeconds      int64           `json:"id_token_lifetime_seconds"` // 0: the provider's default
	AccessTokenLifetimeSeconds  int64           `json:"access_token_lifetime_seconds"`
	RefreshTokenLifetimeSeconds int64           `json:"refresh_token_lifetime_seconds"`
	RequireACR                  string          `json:"require_acr"`
	RequireUV                   bool            `json:"require_uv"`
	CreatedAt                   time.Time       `json:"created_at"`
	UpdatedAt                   time.Time       `json:"updated_at"`
}

// Access token types as the CLI names them; the store keeps the provider's
// names (oidc.AccessTokenOpaque, oidc.AccessTokenJWT).
const (
	accessTokenOpaque = "opaque"
	accessTokenJWT    = "jwt"
)

func toClientJSON(cl storage.Client, secret string) clientJSON {
	out := clientJSON{
		ClientID: cl.ID, ClientSecret: secret, AppID: cl.AppID, Name: cl.Name, AuthMethod: cl.AuthMethod,
		RedirectURIs: nonNil(cl.RedirectURIs), PostLogoutRedirectURIs: nonNil(cl.PostLogoutRedirectURIs),
		JWKSURI: cl.JWKSURI, AccessTokenType: accessTokenOpaque, Scopes: nonNil(cl.Scopes),
		IDTokenLifetimeSeconds:      int64(cl.IDTokenLifetime / time.Second),
		AccessTokenLifetimeSeconds:  int64(cl.AccessTokenLifetime / time.Second),
		RefreshTokenLifetimeSeconds: int64(cl.RefreshTokenLifetime / time.Second),
		RequireACR:                  cl.RequireACR, RequireUV: cl.RequireUV,
		CreatedAt: cl.CreatedAt, UpdatedAt: cl.UpdatedAt,
	}
	if len(cl.JWKS) > 0 {
		out.JWKS = json.RawMessage(cl.JWKS)
	}
	if cl.AccessTokenType == oidc.AccessTokenJWT {
		out.AccessTokenType = accessTokenJWT
	}
	return out
}

func (c *cli) clientsCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "clients",
		Short: "Manage OpenID Connect clients",
		Args:  cobra.NoArgs,
	}
	cmd.AddCommand(c.clientsCreate(), c.clientsList(), c.clientsGet(), c.clientsUpdate(), c.clientsDelete())
	return cmd
}

// hasSecret reports whether clients of an auth method authenticate with a
// secret.
func hasSecret(authMethod string) bool {
	return authMethod == storage.AuthMethodBasic || authMethod == storage.AuthMethodPost
}

// issueSecret gives cl a new secret and returns it. The digest authenticates
// the client; the copy sealed with the master key (bound to the client ID)
// lets the provider check what the client signs with it (HS256 request
// objects).
func issueSecret(cl *storage.Client, masterKey []byte) (string, error) {
	if len(masterKey) == 0 {
		return "", errors.New("issue client secret: no master key")
	}
	secret, _ := storage.NewSecret(storage.PrefixClientSecret)
	sealed, err := signing.SealClientSecret(masterKey, cl.ID, secret)
	if err != nil {
		return "", fmt.Errorf("seal client secret: %w", err)
	}
	cl.SecretHash, cl.SecretSealed = storage.HashSecret(secret), sealed
	return secret, nil
}

// withClientStore is withStore for commands that may issue a secret: with
// needKey it resolves the master key and checks it against the store first,
// as the keys commands do. Without, no master key is looked for (or made).
func (c *cli) withClientStore(cmd *cobra.Command, needKey bool, fn func(ctx context.Context, st storage.Store, masterKey []byte) error) error {
	if !needKey {
		return c.withStore(cmd, func(ctx context.Context, st storage.Store) error { return fn(ctx, st, nil) })
	}
	return c.withSigningKeys(cmd, func(ctx context.Context, st storage.Store, masterKey []byte, _ *slog.Logger) error {
		return fn(ctx, st, masterKey)
	})
}

func (c *cli) clientsCreate() *cobra.Command {
	var (
		appID string
		f     clientFlags
	)
	cmd := &cobra.Command{
		Use:   "create --app APP_ID --redirect-uri U [--redirect-uri U2 …] [flags]",
		Short: "Register a client; a confidential client's secret is printed once",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			now := c.now()
			cl := storage.Client{
				ID:              storage.NewID(),
				AppID:           appID,
				AuthMethod:      storage.AuthMethodBasic,
				AccessTokenType: oidc.AccessTokenOpaque,
				CreatedAt:       now,
				UpdatedAt:       now,
			}
			cl, problems := f.apply(cmd, cl)
			if len(problems) > 0 {
				return errors.New("invalid client: " + strings.Join(problems, "; "))
			}
			return c.withClientStore(cmd, hasSecret(cl.AuthMethod), func(ctx context.Context, st storage.Store, masterKey []byte) error {
				var secret string
				if hasSecret(cl.AuthMethod) {
					var err error
					if secret, err = issueSecret(&cl, masterKey); err != nil {
						return err
					}
				}
				err := st.InTx(ctx, func(tx storage.Store) error {
					if _, err := getApp(ctx, tx, appID); err != nil {
						return err
					}
					if err := tx.CreateClient(ctx, cl); err != nil {
						return fmt.Errorf("create client: %w", err)
					}
					return c.audit(ctx, tx, appID, "client.created", map[string]string{"client_id": cl.ID, "auth_method": cl.AuthMethod})
				})
				if err != nil {
					return err
				}
				return c.printClient(cl, secret)
			})
		},
	}
	cmd.Flags().StringVar(&appID, "app", "", "app ID (required)")
	f.define(cmd, false)
	_ = cmd.MarkFlagRequired("app")
	return cmd
}

func (c *cli) clientsGet() *cobra.Command {
	return &cobra.Command{
		Use:   "get CLIENT_ID",
		Short: "Show a client (never its secret)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return c.withStore(cmd, func(ctx context.Context, st storage.Store) error {
				cl, err := getClient(ctx, st, args[0])
				if err != nil {
					return err
				}
				return c.printClient(cl, "")
			})
		},
	}
}

func (c *cli) clientsUpdate() *cobra.Command {
	var f clientFlags
	cmd := &cobra.Command{
		Use:   "update CLIENT_ID [flags of create] [--rotate-secret]",
		Short: "Change a client; only the flags given are changed, a list flag replaces the list",
		Long: "Change a client; only the flags given are changed, and a repeated flag replaces the whole\n" +
			"list. --rotate-secret issues a new secret, printed once; the old one stops working at once.\n" +
			"A client that changes to client_secret_basic or client_secret_post from another method gets\n" +
			"a new secret the same way; one that changes to none or private_key_jwt loses its secret.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !slices.ContainsFunc(clientFlagNames, cmd.Flags().Changed) {
				return errors.New("nothing to update: give at least one flag of the client, such as --redirect-uri or --rotate-secret")
			}
			// Only a new secret needs the master key, and only these flags can issue one.
			needKey := countChanged(cmd, "rotate-secret", "auth-method", "public") > 0
			return c.withClientStore(cmd, needKey, func(ctx context.Context, st storage.Store, masterKey []byte) error {
				var (
					cl     storage.Client
					secret string
				)
				err := st.InTx(ctx, func(tx storage.Store) error {
					var err error
					cl, err = tx.UpdateClient(ctx, args[0], func(cur storage.Client) (storage.Client, error) {
						next, problems := f.apply(cmd, cur)
						if len(problems) > 0 {
							return cur, errors.New("invalid client: " + strings.Join(problems, "; "))
						}
						next.UpdatedAt = c.now()
						secret = ""
						switch {
						case !hasSecret(next.AuthMethod):
							next.SecretHash, next.SecretSealed = nil, nil
						case f.rotateSecret || !hasSecret(cur.AuthMethod):
							s, err := issueSecret(&next, masterKey)
							if err != nil {
								return cur, err
							}
							secret = s
						}
						return next, nil
					})
					if errors.Is(err, storage.ErrNotFound) {
						return fmt.Errorf("client %q not found", args[0])
					}
					if err != nil {
						return err
					}
					detail := map[string]string{"client_id": cl.ID, "auth_method": cl.AuthMethod, "changed": strings.Join(changedFlags(cmd), ",")}
					if secret != "" {
						detail["secret_issued"] = "true"
					}
					return c.audit(ctx, tx, cl.AppID, "client.updated", detail)
				})
				if err != nil {
					return err
				}
				return c.printClient(cl, secret)
			})
		},
	}
	f.define(cmd, true)
	return cmd
}

// getClient loads a client, with an error that names the id when there is none.
func getClient(ctx context.Context, st storage.ClientStore, id string) (storage.Client, error) {
	cl, err := st.GetClient(ctx, id)
	if errors.Is(err, storage.ErrNotFound) {
		return cl, fmt.Errorf("client %q not found", id)
	}
	if err != nil {
		return cl, fmt.Errorf("get client: %w", err)
	}
	return cl, nil
}

// printClient prints a client, with the secret when one was just issued.
func (c *cli) printClient(cl storage.Client, secret string) error {
	if c.json {
		return printJSON(c.env.Stdout, toClientJSON(cl, secret))
	}
	fields := [][2]string{{"client_id", cl.ID}}
	if secret != "" {
		fields = append(fields, [2]string{"client_secret", secret})
	}
	lifetime := func(d time.Duration) string {
		if d == 0 {
			return "default"
		}
		return d.String()
	}
	j := toClientJSON(cl, "")
	fields = append(fields,
		[2]string{"app_id", cl.AppID},
		[2]string{"name", orDash(cl.Name)},
		[2]string{"auth_method", cl.AuthMethod},
		[2]string{"redirect_uris", orNone(cl.RedirectURIs)},
		[2]string{"post_logout_redirect_uris", orNone(cl.PostLogoutRedirectURIs)},
		[2]string{"jwks", jwksText(cl.JWKS)},
		[2]string{"jwks_uri", orDash(cl.JWKSURI)},
		[2]string{"access_token_type", j.AccessTokenType},
		[2]string{"scopes", orNone(cl.Scopes)},
		[2]string{"id_token_lifetime", lifetime(cl.IDTokenLifetime)},
		[2]string{"access_token_lifetime", lifetime(cl.AccessTokenLifetime)},
		[2]string{"refresh_token_lifetime", lifetime(cl.RefreshTokenLifetime)},
		[2]string{"require_acr", orDash(cl.RequireACR)},
		[2]string{"require_uv", strconv.FormatBool(cl.RequireUV)},
		[2]string{"created_at", timeText(cl.CreatedAt)},
		[2]string{"updated_at", timeText(cl.UpdatedAt)},
	)
	if err := printFields(c.env.Stdout, fields); err != nil {
		return err
	}
	if secret != "" {
		_, err := fmt.Fprintln(c.env.Stderr, "Store the client secret now: it cannot be shown again.")
		return err
	}
	return nil
}

// jwksText names the keys of a stored key set for people.
func jwksText(raw []byte) string {
	var set jose.JSONWebKeySet
	if len(raw) == 0 || json.Unmarshal(raw, &set) != nil {
		return "-"
	}
	ids := make([]string, 0, len(set.Keys))
	for _, k := range set.Keys {
		ids = append(ids, orDash(k.KeyID))
	}
	return fmt.Sprintf("%d key(s): %s", len(set.Keys), strings.Join(ids, ","))
}

func (c *cli) clientsList() *cobra.Command {
	return c.appListCommand("List an app's clients", func(ctx context.Context, st storage.Store, appID string) error {
		clients, err := st.ListClients(ctx, appID)
		if err != nil {
			return fmt.Errorf("list clients: %w", err)
		}
		if c.json {
			out := make([]clientJSON, 0, len(clients))
			for _, cl := range clients {
				out = append(out, toClientJSON(cl, ""))
			}
			return printJSON(c.env.Stdout, out)
		}
		t := newTable(c.env.Stdout, "CLIENT ID", "NAME", "AUTH METHOD", "REDIRECT URIS", "ACCESS TOKEN", "REQUIRE ACR", "CREATED")
		for _, cl := range clients {
			t.row(cl.ID, orDash(cl.Name), cl.AuthMethod, orNone(cl.RedirectURIs), toClientJSON(cl, "").AccessTokenType,
				orDash(cl.RequireACR), timeText(cl.CreatedAt))
		}
		return t.flush()
	})
}

func (c *cli) clientsDelete() *cobra.Command {
	return &cobra.Command{
		Use:   "delete CLIENT_ID",
		Short: "Delete a client with its tokens",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id := args[0]
			return c.withStore(cmd, func(ctx context.Context, st storage.Store) error {
				err := st.InTx(ctx, func(tx storage.Store) error {
					cl, err := getClient(ctx, tx, id)
					if err != nil {
						return err
					}
					if err := tx.DeleteClient(ctx, id); err != nil {
						return fmt.Errorf("delete client: %w", err)
					}
					return c.audit(ctx, tx, cl.AppID, "client.deleted", map[string]string{"client_id": id})
				})
				if err != nil {
					return err
				}
				if c.json {
					return printJSON(c.env.Stdout, map[string]any{"client_id": id, "deleted": true})
				}
				_, err = fmt.Fprintf(c.env.Stdout, "deleted client %s\n", id)
				return err
			})
		},
	}
}

// clientFlags are the settable fields of a client, shared by create and
// update.
type clientFlags struct {
	name                                  string
	redirectURIs, logoutRedirects, scopes []string
	public, requireUV, rotateSecret       bool
	authMethod, jwksFile, jwksURI         string
	accessTokenType, requireACR           string
	idTokenLifetime, accessTokenLifetime  time.Duration
	refreshTokenLifetime                  time.Duration
}

// clientFlagNames are the flags of clientFlags: update needs one of them.
var clientFlagNames = []string{
	"name", "redirect-uri", "post-logout-redirect-uri", "public", "auth-method", "jwks-file", "jwks-uri",
	"scope", "access-token-type", "id-token-lifetime", "access-token-lifetime", "refresh-token-lifetime",
	"require-acr", "require-uv", "rotate-secret",
}

// changedFlags lists the client flags the user set, for the audit log.
func changedFlags(cmd *cobra.Command) []string {
	var out []string
	for _, name := range clientFlagNames {
		if cmd.Flags().Changed(name) {
			out = append(out, name)
		}
	}
	return out
}

// Bounds on client lifetimes: a token outliving a day is a credential to
// revoke, not to wait out; a refresh token shorter than an hour is a session
// that ends mid-task.
const (
	minTokenLifetime   = time.Minute
	maxTokenLifetime   = 24 * time.Hour
	minRefreshLifetime = time.Hour
	maxRefreshLifetime = 365 * 24 * time.Hour
)

func (f *clientFlags) define(cmd *cobra.Command, update bool) {
	fl := cmd.Flags()
	replaces := ""
	if update {
		replaces = "; replaces the list"
	}
	fl.StringVar(&f.name, "name", "", "client name")
	fl.StringArrayVar(&f.redirectURIs, "redirect-uri", nil, "redirect URI, matched exactly (repeatable; at least one"+replaces+")")
	fl.StringArrayVar(&f.logoutRedirects, "post-logout-redirect-uri", nil, `post-logout redirect URI (repeatable`+replaces+`; "" for none)`)
	fl.BoolVar(&f.public, "public", false, "public client (browser or native app): auth method none, no secret, PKCE required")
	fl.StringVar(&f.authMethod, "auth-method", "", "client_secret_basic (default), client_secret_post, private_key_jwt or none")
	fl.StringVar(&f.jwksFile, "jwks-file", "", `file with the client's public keys, a JSON Web Key Set (for private_key_jwt and signed requests; "" removes them)`)
	fl.StringVar(&f.jwksURI, "jwks-uri", "", `https URL of the client's JSON Web Key Set, instead of --jwks-file ("" removes it)`)
	fl.StringArrayVar(&f.scopes, "scope", nil, `scope the client may ask for beyond the standard ones (repeatable`+replaces+`; "" for none)`)
	fl.StringVar(&f.accessTokenType, "access-token-type", "", "opaque (default) or jwt (RFC 9068)")
	fl.DurationVar(&f.idTokenLifetime, "id-token-lifetime", 0, "ID token lifetime, 1m to 24h (0: the provider's default)")
	fl.DurationVar(&f.accessTokenLifetime, "access-token-lifetime", 0, "access token lifetime, 1m to 24h (0: the provider's default)")
	fl.DurationVar(&f.refreshTokenLifetime, "refresh-token-lifetime", 0, "refresh token lifetime, 1h to 8760h (365 days) (0: the provider's default)")
	fl.StringVar(&f.requireACR, "require-acr", "", `least acr of every sign-in: phr or phrh ("" for none)`)
	fl.BoolVar(&f.requireUV, "require-uv", false, "require user verification in every sign-in")
	if update {
		fl.BoolVar(&f.rotateSecret, "rotate-secret", false, "issue a new secret, printed once; the old one stops working")
	}
	config.AddFlags(fl, config.KeyMasterKey, config.KeyMasterKeyFile)
}

// apply copies the flags the user set onto cl and validates the result. It
// returns every problem, each naming its flag and value; it reads the
// --jwks-file but writes nothing.
func (f *clientFlags) apply(cmd *cobra.Command, cl storage.Client) (storage.Client, []string) {
	set := func(name string) bool { return cmd.Flags().Changed(name) }
	var problems []string
	add := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }

	if set("name") {
		cl.Name = strings.TrimSpace(f.name)
		if err := checkName("--name", cl.Name, false); err != nil {
			problems = append(problems, err.Error())
		}
	}
	if set("redirect-uri") {
		var p []string
		cl.RedirectURIs, p = checkRedirectURIs("--redirect-uri", f.redirectURIs)
		problems = append(problems, p...)
	}
	if set("post-logout-redirect-uri") {
		var p []string
		cl.PostLogoutRedirectURIs, p = checkRedirectURIs("--post-logout-redirect-uri", withoutEmpty(f.logoutRedirects))
		problems = append(problems, p...)
	}

	method := f.authMethod
	switch {
	case set("auth-method") && !slices.Contains([]string{storage.AuthMethodBasic, storage.AuthMethodPost, storage.AuthMethodPrivateKeyJWT, storage.AuthMethodNone}, method):
		add("--auth-method %q: want client_secret_basic, client_secret_post, private_key_jwt or none", method)
	case set("auth-method") && set("public") && f.public != (method == storage.AuthMethodNone):
		add("--public=%t contradicts --auth-method %q", f.public, method)
	case set("auth-method"):
		cl.AuthMethod = method
	case set("public") && f.public:
		cl.AuthMethod = storage.AuthMethodNone
	case set("public") && cl.AuthMethod == storage.AuthMethodNone:
		cl.AuthMethod = storage.AuthMethodBasic // --public=false: confidential, as create makes it
	}

	switch {
	case set("jwks-file") && set("jwks-uri") && f.jwksFile != "" && f.jwksURI != "":
		add("give --jwks-file or --jwks-uri, not both")
	default:
		if set("jwks-file") {
			cl.JWKS = nil
			if f.jwksFile != "" {
				jwks, p := readJWKS(f.jwksFile)
				problems = append(problems, p...)
				cl.JWKS, cl.JWKSURI = jwks, ""
			}
		}
		if set("jwks-uri") {
			cl.JWKSURI = strings.TrimSpace(f.jwksURI)
			if cl.JWKSURI != "" {
				if err := checkHTTPSURL(cl.JWKSURI); err != nil {
					add("--jwks-uri %q: %v", cl.JWKSURI, err)
				}
				cl.JWKS = nil
			}
		}
	}

	if set("scope") {
		cl.Scopes = nil
		for _, s := range withoutEmpty(f.scopes) {
			if err := checkScope(s); err != nil {
				add("--scope %q: %v", s, err)
			} else if !slices.Contains(cl.Scopes, s) {
				cl.Scopes = append(cl.Scopes, s)
			}
		}
	}
	if set("access-token-type") {
		switch f.accessTokenType {
		case accessTokenOpaque:
			cl.AccessTokenType = oidc.AccessTokenOpaque
		case accessTokenJWT:
			cl.AccessTokenType = oidc.AccessTokenJWT
		default:
			add("--access-token-type %q: want opaque or jwt", f.accessTokenType)
		}
	}
	lifetime := func(flag string, d time.Duration, dst *time.Duration, lo, hi time.Duration, bounds string) {
		if !set(flag) {
			return
		}
		switch {
		case d != 0 && (d < lo || d > hi):
			add("--%s %s: want between %s (0: the provider's default)", flag, d, bounds)
		case d%time.Second != 0:
			add("--%s %s: want whole seconds", flag, d)
		default:
			*dst = d
		}
	}
	lifetime("id-token-lifetime", f.idTokenLifetime, &cl.IDTokenLifetime, minTokenLifetime, maxTokenLifetime, "1m and 24h")
	lifetime("access-token-lifetime", f.accessTokenLifetime, &cl.AccessTokenLifetime, minTokenLifetime, maxTokenLifetime, "1m and 24h")
	lifetime("refresh-token-lifetime", f.refreshTokenLifetime, &cl.RefreshTokenLifetime, minRefreshLifetime, maxRefreshLifetime, "1h and 8760h (365 days)")
	if set("require-acr") {
		switch f.requireACR {
		case "", "phr", "phrh":
			cl.RequireACR = f.requireACR
		default:
			add("--require-acr %q: want phr or phrh (OpenID EAP ACR values), or \"\" for none", f.requireACR)
		}
	}
	if set("require-uv") {
		cl.RequireUV = f.requireUV
	}

	// What the client as a whole must have, whatever the flags were.
	if len(cl.RedirectURIs) == 0 && len(f.redirectURIs) == 0 {
		add("at least one --redirect-uri is required")
	}
	keysGiven := set("jwks-file") && f.jwksFile != "" || set("jwks-uri") && f.jwksURI != "" // refused above if bad
	if cl.AuthMethod == storage.AuthMethodPrivateKeyJWT && len(cl.JWKS) == 0 && cl.JWKSURI == "" && !keysGiven {
		add("auth method private_key_jwt needs the client's public keys: give --jwks-file or --jwks-uri")
	}
	if f.rotateSecret && !hasSecret(cl.AuthMethod) {
		add("--rotate-secret: a client with auth method %s has no secret", cl.AuthMethod)
	}
	return cl, problems
}

// withoutEmpty drops empty values, so that a list flag given as "" clears
// the list.
func withoutEmpty(values []string) []string {
	var out []string
	for _, v := range values {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// checkScope applies RFC 6749 §3.3's scope-token grammar, with a bound on
// its length.
func checkScope(s string) error {
	if len(s) > 200 {
		return errors.New("is longer than 200 characters")
	}
	for _, r := range s {
		if r < 0x21 || r > 0x7e || r == '"' || r == '\\' {
			return errors.New(`must be printable ASCII without spaces, '"' or '\' (RFC 6749 §3.3)`)
		}
	}
	return nil
}

// maxJWKSBytes bounds a key set file: a few public keys, not a document.
const maxJWKSBytes = 64 << 10

// readJWKS reads a JSON Web Key Set (RFC 7517 §5) of public signing keys and
// returns it as the store keeps it. Every problem names the file and the
// key: a private or symmetric key is refused, since registering one would
// hand the provider (and its backups) the client's own credential.
func readJWKS(path string) ([]byte, []string) {
	problem := func(format string, args ...any) []string {
		return []string{fmt.Sprintf("--jwks-file %q: ", path) + fmt.Sprintf(format, args...)}
	}
	file, err := os.Open(path)
	if err != nil {
		var pathErr *fs.PathError
		if errors.As(err, &pathErr) {
			err = pathErr.Err
		}
		return nil, problem("%v", err)
	}
	defer file.Close()
	data, err := io.ReadAll(io.LimitReader(file, maxJWKSBytes+1))
	if err != nil {
		return nil, problem("%v", err)
	}
	if len(data) > maxJWKSBytes {
		return nil, problem("is larger than %d KiB", maxJWKSBytes>>10)
	}
	var raw struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, problem("not a JSON Web Key Set: %v", err)
	}
	if len(raw.Keys) == 0 {
		return nil, problem(`has no keys: want a JSON Web Key Set, {"keys": [ … ]}`)
	}
	var (
		problems []string
		set      jose.JSONWebKeySet
		kids     = map[string]bool{}
	)
	for i, r := range raw.Keys {
		var k jose.JSONWebKey
		if err := k.UnmarshalJSON(r); err != nil {
			problems = append(problems, problem("key %d: %v", i+1, err)...)
			continue
		}
		name := fmt.Sprintf("key %d", i+1)
		if k.KeyID != "" {
			name = fmt.Sprintf("key %q", k.KeyID)
		}
		if p := checkPublicJWK(k); p != "" {
			problems = append(problems, problem("%s %s", name, p)...)
			continue
		}
		if kids[k.KeyID] {
			problems = append(problems, problem("%s: another key has the same kid", name)...)
			continue
		}
		kids[k.KeyID] = true
		set.Keys = append(set.Keys, k)
	}
	if len(problems) > 0 {
		return nil, problems
	}
	out, err := json.Marshal(set)
	if err != nil {
		return nil, problem("encode: %v", err)
	}
	return out, nil
}

// checkPublicJWK says what is wrong with a key registered to verify a
// client's signatures, or "" when nothing is.
func checkPublicJWK(k jose.JSONWebKey) string {
	switch key := k.Key.(type) {
	case *rsa.PrivateKey, *ecdsa.PrivateKey, ed25519.PrivateKey:
		return "is a private key: register the public key only (without \"d\" and the other private members)"
	case []byte:
		return "is a symmetric key: register public keys only"
	case *rsa.PublicKey:
		if key.N.BitLen() < 2048 {
			return fmt.Sprintf("is an RSA key of %d bits: want at least 2048", key.N.BitLen())
		}
	}
	switch {
	case !k.IsPublic() || !k.Valid():
		return "is not a valid RSA, EC or OKP public key"
	case k.Use != "" && k.Use != "sig":
		return fmt.Sprintf("has use %q: want sig", k.Use)
	}
	return ""
}
