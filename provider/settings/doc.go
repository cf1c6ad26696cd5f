// Package settings checks what an operator sets on apps and OpenID Connect
// clients, and gives both their JSON form: the one place the command line
// and the admin API share, so that a value one refuses the other refuses
// too, with the same words. Each problem names the value; callers name the
// fields (flags, JSON members) as their users know them.
package settings
