// Package cli is the passbridge command line: serve, migrate, and the
// administration of apps, API keys and OIDC clients.
package cli

import (
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/passbridge/passbridge/cmd/passbridge/internal/config"
)

// Env is the process the commands run in. Tests give their own.
type Env struct {
	Stdout    io.Writer
	Stderr    io.Writer
	LookupEnv func(string) (string, bool) // os.LookupEnv
	Version   string                      // set at link time; "dev" otherwise
	Now       func() time.Time            // nil: time.Now
	// IsTerminal reports whether w is a terminal a person reads (nil:
	// isTerminal). Secrets are shown only on one: anything else may be
	// a log collector that keeps them.
	IsTerminal func(w io.Writer) bool
}

// cli is what every command shares.
type cli struct {
	env  Env
	json bool
}

// NewRoot returns the root command with every subcommand.
func NewRoot(env Env) *cobra.Command {
	if env.Now == nil {
		env.Now = time.Now
	}
	if env.Version == "" {
		env.Version = "dev"
	}
	if env.IsTerminal == nil {
		env.IsTerminal = isTerminal
	}
	c := &cli{env: env}
	root := &cobra.Command{
		Use:   "passbridge",
		Short: "A self-hosted passkey identity provider",
		Long: "passbridge is an OpenID Connect provider whose sign-in is a passkey ceremony,\n" +
			"a Passkey Flex-compatible API and a start/finish passkey API, in one binary.",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(env.Stdout)
	root.SetErr(env.Stderr)
	pf := root.PersistentFlags()
	config.AddFlags(pf, config.KeyConfig, config.KeyDatabaseURL, config.KeyDatabaseURLFile, config.KeyDataDir, config.KeyLogLevel)
	pf.BoolVar(&c.json, "json", false, "print JSON instead of tables")

	root.AddCommand(
		c.serveCommand(),
		c.migrateCommand(),
		c.appsCommand(),
		c.apiKeysCommand(),
		c.clientsCommand(),
		c.keysCommand(),
		c.adminKeysCommand(),
		c.auditCommand(),
		c.usersCommand(),
		c.devicesCommand(),
		c.sessionsCommand(),
		c.healthcheckCommand(),
		c.doctorCommand(),
		c.exportCommand(),
		c.importCommand(),
		c.benchCommand(),
		c.versionCommand(),
	)
	return root
}

// isTerminal reports whether w is an *os.File open on a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// loadConfig reads the configuration with the command's flags.
func (c *cli) loadConfig(cmd *cobra.Command) (config.Config, error) {
	return config.Load(config.Sources{Flags: cmd.Flags(), LookupEnv: c.env.LookupEnv})
}

// logger writes JSON logs to stderr at the configured level.
func (c *cli) logger(cfg config.Config) *slog.Logger {
	return slog.New(slog.NewJSONHandler(c.env.Stderr, &slog.HandlerOptions{Level: cfg.SlogLevel()}))
}

// now is the CLI's clock in the store's precision.
func (c *cli) now() time.Time {
	return c.env.Now().UTC().Truncate(time.Microsecond)
}
