package provider_test

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/passbridge/passbridge/provider"
	"github.com/passbridge/passbridge/storage/sqlstore/sqlstoretest"
)

// deadlineArea answers whether its request's context has a deadline, and
// how far off it is; /long is one of its LongRoutes.
type deadlineArea struct{}

func (deadlineArea) RegisterRoutes(r *gin.RouterGroup) {
	report := func(c *gin.Context) {
		d, ok := c.Request.Context().Deadline()
		c.JSON(http.StatusOK, gin.H{"deadline": ok, "in": time.Until(d).Seconds()})
	}
	r.GET("/short", report)
	r.GET("/long/:id", report)
}

func (deadlineArea) LongRoutes() []string { return []string{"/long/:id"} }

// Every request's context ends at the request timeout, so its store calls
// do; the routes a LongArea names keep no deadline of the server's.
func TestRequestTimeout(t *testing.T) {
	st := sqlstoretest.Open(t, sqlstoretest.SQLite)
	for _, tc := range []struct {
		name     string
		timeout  time.Duration
		path     string
		deadline bool
	}{
		{"short route", 7 * time.Second, "/short", true},
		{"long route", 7 * time.Second, "/long/42", false},
		{"no timeout", 0, "/short", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, _ := newServer(t, st, provider.Deps{RequestTimeout: tc.timeout, Areas: []provider.Area{deadlineArea{}}})
			code, body, _ := get(t, srv.Handler(), "GET", tc.path, "", nil)
			var got struct {
				Deadline bool    `json:"deadline"`
				In       float64 `json:"in"`
			}
			if err := json.Unmarshal([]byte(body), &got); err != nil {
				t.Fatalf("GET %s: %d %q: %v", tc.path, code, body, err)
			}
			if code != http.StatusOK || got.Deadline != tc.deadline || (tc.deadline && (got.In <= 0 || got.In > tc.timeout.Seconds())) {
				t.Errorf("GET %s: %d %s; want a deadline %v, within %s", tc.path, code, body, tc.deadline, tc.timeout)
			}
		})
	}
	if _, err := provider.New(provider.Deps{Store: st, RequestTimeout: -time.Second}); err == nil {
		t.Error("a negative request timeout was accepted")
	}
}
