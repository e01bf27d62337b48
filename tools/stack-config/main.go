// Command stack-config prints a Docker Swarm stack file, with its overlays, as Docker
// resolves it: checked against the Compose specification's schema, variables interpolated
// (a missing ${VAR:?message} is an error), overlays merged, relative paths made absolute.
// It stands in for `docker stack config`, so validating the stack needs no docker client.
//
//	stack-config -c stack.yml [-c overlay.yml ...]
//
// The merged stack goes to stdout as JSON; on error the loader's message goes to stderr
// and the exit status is 1.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/compose-spec/compose-go/v2/cli"
)

type fileList []string

func (f *fileList) String() string     { return strings.Join(*f, ",") }
func (f *fileList) Set(v string) error { *f = append(*f, v); return nil }

func main() {
	var files fileList
	flag.Var(&files, "c", "stack file; repeat for overlays, later files override earlier ones")
	name := flag.String("name", "repo-monitor", "stack (project) name")
	flag.Parse()
	if len(files) == 0 {
		fmt.Fprintln(os.Stderr, "usage: stack-config -c stack.yml [-c overlay.yml ...]")
		os.Exit(2)
	}
	if err := run(files, *name); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func run(files []string, name string) error {
	options, err := cli.NewProjectOptions(files, cli.WithOsEnv, cli.WithName(name))
	if err != nil {
		return err
	}
	project, err := options.LoadProject(context.Background())
	if err != nil {
		return err
	}
	out, err := project.MarshalJSON()
	if err != nil {
		return err
	}
	_, err = os.Stdout.Write(append(out, '\n'))
	return err
}
