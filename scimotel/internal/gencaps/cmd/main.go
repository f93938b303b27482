// Command cmd writes the files of package gencaps into the current
// directory: go generate runs it in scimotel.
package main

import (
	"log"
	"os"

	"github.com/scimkit/scim/scimotel/internal/gencaps"
)

func main() {
	files, err := gencaps.Files()
	if err != nil {
		log.Fatal(err)
	}
	for name, b := range files {
		if err := os.WriteFile(name, b, 0o644); err != nil {
			log.Fatal(err)
		}
	}
}
