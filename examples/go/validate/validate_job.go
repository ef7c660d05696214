// Command validate checks job message bodies against generated/schemas/envelope.bundled.json with
// gojsonschema (see docs/other-languages.md). The bundled envelope holds every job's args schema,
// so the validator needs this one file and no reference store.
//
// It reads one JSON body per line from standard input and prints "valid", or one
// "invalid: <field>: <problem>" line per problem; it exits 2 when any body is invalid.
//
// Build and run it in GOPATH mode against Debian's golang-github-xeipuuv-gojsonschema-dev:
//
//	cd examples/go && GO111MODULE=off GOPATH=/usr/share/gocode go run ./validate < bodies.jsonl
package main

import (
	"bufio"
	"flag"
	"fmt"
	"log"
	"os"

	"github.com/xeipuuv/gojsonschema"
)

func main() {
	log.SetFlags(0)
	schemaPath := flag.String("schema", "../../generated/schemas/envelope.bundled.json", "the bundled envelope schema")
	flag.Parse()

	text, err := os.ReadFile(*schemaPath)
	if err != nil {
		log.Fatalf("cannot read %s (run `npx tsx cli/main.ts generate` first): %v", *schemaPath, err)
	}
	schema, err := gojsonschema.NewSchema(gojsonschema.NewBytesLoader(text))
	if err != nil {
		log.Fatalf("%s is not a schema gojsonschema can use: %v", *schemaPath, err)
	}

	invalid := false
	lines := bufio.NewScanner(os.Stdin)
	lines.Buffer(make([]byte, 1024*1024), 16*1024*1024)
	for lines.Scan() {
		if len(lines.Bytes()) == 0 {
			continue
		}
		result, err := schema.Validate(gojsonschema.NewBytesLoader(lines.Bytes()))
		if err != nil {
			log.Fatalf("not JSON: %v", err)
		}
		if result.Valid() {
			fmt.Println("valid")
			continue
		}
		invalid = true
		for _, problem := range result.Errors() {
			fmt.Printf("invalid: %s: %s\n", problem.Field(), problem.Description())
		}
	}
	if err := lines.Err(); err != nil {
		log.Fatalf("reading standard input: %v", err)
	}
	if invalid {
		os.Exit(2)
	}
}
