// Command logfmtparse decodes logfmt lines from stdin with github.com/go-logfmt/logfmt,
// the decoder Promtail's logfmt stage uses (Loki's `| logfmt` follows the same rules), and
// prints one JSON array of [key, value] pairs per line, in order, so tests check exactly
// what the log pipeline will see.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"

	"github.com/go-logfmt/logfmt"
)

func main() {
	in := bufio.NewReader(os.Stdin)
	out := json.NewEncoder(os.Stdout)
	dec := logfmt.NewDecoder(in)
	for dec.ScanRecord() {
		pairs := [][2]string{}
		for dec.ScanKeyval() {
			pairs = append(pairs, [2]string{string(dec.Key()), string(dec.Value())})
		}
		if err := dec.Err(); err != nil {
			fmt.Fprintln(os.Stderr, "logfmtparse:", err)
			os.Exit(1)
		}
		if err := out.Encode(pairs); err != nil {
			fmt.Fprintln(os.Stderr, "logfmtparse:", err)
			os.Exit(1)
		}
	}
	if err := dec.Err(); err != nil {
		fmt.Fprintln(os.Stderr, "logfmtparse:", err)
		os.Exit(1)
	}
}
