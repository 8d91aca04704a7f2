// Command gendeploy writes the deploy descriptors (template.yaml, serverless.yml, azure/)
// from the route tables. Run it from the repository root after changing a route table:
//
//	go run ./scripts/gendeploy
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/kafkafn/kafkafn/deploy"
)

func main() {
	files := deploy.Files()
	// Remove function folders that no longer exist.
	dirs, _ := filepath.Glob("azure/*/function.json")
	for _, f := range dirs {
		if _, ok := files[filepath.ToSlash(f)]; !ok {
			if err := os.RemoveAll(filepath.Dir(f)); err != nil {
				fail(err)
			}
		}
	}
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
			fail(err)
		}
		if err := os.WriteFile(name, files[name], 0o644); err != nil {
			fail(err)
		}
		fmt.Println("wrote", name)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "gendeploy:", err)
	os.Exit(1)
}
