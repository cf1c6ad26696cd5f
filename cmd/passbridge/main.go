// Command passbridge is a self-hosted passkey identity provider: an OpenID
// Connect provider, a Passkey Flex-compatible API and a start/finish passkey
// API in one binary. Run "passbridge help" for its commands.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/passbridge/passbridge/cmd/passbridge/internal/cli"
)

// version is set at link time: go build -ldflags "-X main.version=v1.2.3".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	root := cli.NewRoot(cli.Env{
		Stdout:    os.Stdout,
		Stderr:    os.Stderr,
		LookupEnv: os.LookupEnv,
		Version:   version,
	})
	err := root.ExecuteContext(ctx)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "passbridge:", err)
		os.Exit(1)
	}
}
