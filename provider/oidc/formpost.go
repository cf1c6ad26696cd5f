package oidc

import (
	"html/template"
	"net/http"
	"net/url"

	"github.com/passbridge/passbridge/provider/web"
)

// The form_post response mode (OAuth 2.0 Form Post Response Mode) of
// implicit requests: answers and errors alike go back to the client as a
// form the browser posts to its redirect_uri.

// postedRedirects turns op's error redirects for an implicit request (to
// the redirect_uri, in the fragment, since op has no form_post for errors)
// into the posted form.
type postedRedirects struct {
	http.ResponseWriter
	p        *Provider
	r        *http.Request
	redirect string
	state    string
	replaced bool
}

func (w *postedRedirects) WriteHeader(status int) {
	if status == http.StatusFound {
		if u, err := url.Parse(w.Header().Get("Location")); err == nil && u.Fragment != "" {
			u.Fragment, u.RawFragment = "", ""
			if u.String() == w.redirect {
				if params, err := url.ParseQuery(w.Header().Get("Location")[len(w.redirect)+1:]); err == nil && params.Get("error") != "" {
					w.replaced = true
					w.Header().Del("Location")
					w.p.postError(w.ResponseWriter, w.r, w.redirect, w.state, params.Get("error"), params.Get("error_description"))
					return
				}
			}
		}
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *postedRedirects) Write(b []byte) (int, error) {
	if w.replaced {
		return len(b), nil
	}
	return w.ResponseWriter.Write(b)
}

func (w *postedRedirects) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// FormPostPage renders the page that posts params to redirectURI (OAuth 2.0
// Form Post Response Mode): a form the page's script submits, with a
// visible button for a browser without script.
type FormPostPage func(w http.ResponseWriter, r *http.Request, redirectURI string, params url.Values)

// SetFormPostPage makes the provider answer form_post with fn's page. The
// login page sets it (it holds the templates); until then a plain form
// with a button is served.
func (p *Provider) SetFormPostPage(fn FormPostPage) { p.formPostPage.Store(&fn) }

// postError posts an OAuth error back to redirectURI.
func (p *Provider) postError(w http.ResponseWriter, r *http.Request, redirectURI, state, code, description string) {
	params := url.Values{"error": {code}}
	if description != "" {
		params.Set("error_description", description)
	}
	if state != "" {
		params.Set("state", state)
	}
	p.formPost(w, r, redirectURI, params)
}

func (p *Provider) formPost(w http.ResponseWriter, r *http.Request, redirectURI string, params url.Values) {
	if fn := p.formPostPage.Load(); fn != nil {
		(*fn)(w, r, redirectURI, params)
		return
	}
	web.SetPageHeaders(w.Header(), FormActionOrigin(redirectURI))
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	_ = plainFormPost.Execute(w, struct {
		RedirectURI string
		Params      url.Values
	}{redirectURI, params})
}

// plainFormPost is the form_post page before the login page sets its own.
var plainFormPost = template.Must(template.New("form_post").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Continue</title></head>
<body><form method="post" action="{{.RedirectURI}}">{{range $k, $vs := .Params}}{{range $vs}}<input type="hidden" name="{{$k}}" value="{{.}}">{{end}}{{end}}
<button type="submit">Continue</button></form></body></html>
`))

// FormActionOrigin is the origin a form_post page's Content-Security-Policy
// lets its form post to: redirectURI's.
func FormActionOrigin(redirectURI string) string {
	u, err := url.Parse(redirectURI)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return ""
	}
	return u.Scheme + "://" + u.Host
}
