// Command ferretdb-embedded runs FerretDB v1 (MongoDB wire protocol over SQLite) on
// loopback, so that development and tests have a real MongoDB-compatible server on
// machines where no MongoDB binary can be installed.
//
// It prints the connection URI as the first line on stdout once it is listening,
// and stops cleanly on SIGTERM/SIGINT or when stdin closes (with -watch-stdin), so
// a parent process that dies never leaves it behind.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/FerretDB/FerretDB/ferretdb"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "TCP address to listen on (port 0 picks a free port)")
	dataDir := flag.String("data", "", "directory for the SQLite files (required)")
	watchStdin := flag.Bool("watch-stdin", false, "exit when stdin reaches EOF (parent went away)")
	flag.Parse()

	if *dataDir == "" {
		log.Fatal("ferretdb-embedded: -data is required")
	}
	abs, err := filepath.Abs(*dataDir)
	if err != nil {
		log.Fatalf("ferretdb-embedded: %v", err)
	}
	if err := os.MkdirAll(abs, 0o755); err != nil {
		log.Fatalf("ferretdb-embedded: %v", err)
	}

	f, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{TCP: *listen},
		Handler:   "sqlite",
		SQLiteURL: "file:" + abs + "/", // must end with a slash
	})
	if err != nil {
		log.Fatalf("ferretdb-embedded: %v", err)
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()

	if *watchStdin {
		go func() {
			_, _ = io.Copy(io.Discard, os.Stdin)
			stop()
		}()
	}

	done := make(chan struct{})
	go func() {
		f.Run(ctx)
		close(done)
	}()

	// MongoDBURI blocks until the listener is up and knows its real port.
	fmt.Println(f.MongoDBURI())
	<-done
}
