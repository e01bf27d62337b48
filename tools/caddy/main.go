// Command caddy is the Caddy web server with its standard modules, built from the Go
// module proxy so the edge configuration (monitoring/caddy/Caddyfile) can be validated
// and run in tests. The version in go.mod is the one the stack's caddy image uses.
package main

import (
	caddycmd "github.com/caddyserver/caddy/v2/cmd"

	_ "github.com/caddyserver/caddy/v2/modules/standard"
)

func main() {
	caddycmd.Main()
}
