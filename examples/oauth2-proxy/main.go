// This command is the app oauth2-proxy protects in this example (run it
// with go run: built, it would share the proxy's binary name): a page that
// says who the proxy signed in, from the headers oauth2-proxy sets
// (X-Forwarded-User, X-Forwarded-Email, X-Forwarded-Preferred-Username).
//
// Those headers are only true when oauth2-proxy set them, so the app
// refuses any request that does not carry the secret oauth2-proxy is given
// as --basic-auth-password (it sends it as the password of an
// Authorization: Basic header on every request it passes on). Listening on
// loopback alone would not do: any process on the host, another user's or
// a compromised one, could reach the app and write the headers itself. The
// app listens on loopback as well, so that even a leaked secret is of no
// use from elsewhere.
//
//	UPSTREAM_SECRET=… go run . -addr 127.0.0.1:8081 -end-session URL
package main

import (
	"cmp"
	"errors"
	"flag"
	"log"
	"net/http"
	"os"
	"strings"
	"time"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8081", "address to listen on (keep it on loopback, behind oauth2-proxy)")
	endSession := flag.String("end-session", "", "where the proxy sends the browser after its sign-out (passbridge's end_session URL, a --whitelist-domain of the proxy's); empty: the proxy's own sign-out only")
	flag.Parse()
	secret, err := loadSecret()
	if err != nil {
		log.Fatal(err)
	}
	srv := &http.Server{Addr: *addr, Handler: newHandler(secret, *endSession), ReadHeaderTimeout: 10 * time.Second}
	log.Printf("upstream listening on %s", *addr)
	log.Fatal(srv.ListenAndServe())
}

// loadSecret reads the shared secret from UPSTREAM_SECRET, or from the
// file UPSTREAM_SECRET_FILE names (a container's secret mount).
func loadSecret() (string, error) {
	secret := os.Getenv("UPSTREAM_SECRET")
	if file := os.Getenv("UPSTREAM_SECRET_FILE"); file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return "", err
		}
		secret = cmp.Or(secret, strings.TrimSpace(string(b)))
	}
	if len(secret) < 16 {
		return "", errors.New("set UPSTREAM_SECRET (or UPSTREAM_SECRET_FILE) to oauth2-proxy's --basic-auth-password, 16 characters at least")
	}
	return secret, nil
}
