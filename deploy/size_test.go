package deploy_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/kafkafn/kafkafn/shared/buildinfo"
)

// Per-route binary sizes (issue 11). The target is 8 MB (8,000,000 bytes) for each
// stripped linux/arm64 route binary. What is left above it is the standard library's HTTP
// and TLS stacks and kafka-go with every compression codec its compress package registers
// (~700 KB; a consume route must read whatever codec a producer used, and the table cannot
// be trimmed without forking kafka-go): docs/performance.md, "Binary size". sizeCeiling is
// therefore the size reached (8,781,986 produce, 8,847,522 list-topics, 8,913,058
// consume-window on 2026-12-03, after the adapters' plain envelope decoders took one 64 KiB
// step for ~15 µs less per Lambda and SCF request) plus less than one of the linker's 64 KiB
// steps for consume-window: a
// binary that grows past it has gained a dependency or kept code alive that must be looked
// at (go tool nm -size -sort size, go version -m, go build -ldflags=-dumpdep). It caught a
// generic kafkadeps.Build whose dictionary kept kafka-go's whole Conn API (+131 KB).
const (
	sizeTarget  = 8_000_000
	sizeCeiling = 8_950_000
)

// TestRouteBinarySize builds each per-route binary as scripts/build does and fails when
// one is larger than sizeCeiling.
func TestRouteBinarySize(t *testing.T) {
	if testing.Short() {
		t.Skip("builds three binaries")
	}
	dir := t.TempDir()
	for _, pkg := range []string{"functions/produce/cmd/produce", "functions/consumewindow/cmd/consume-window", "functions/listtopics/cmd/list-topics"} {
		t.Run(pkg, func(t *testing.T) {
			out := filepath.Join(dir, filepath.Base(filepath.Dir(pkg)))
			cmd := exec.Command("go", "build", "-trimpath", "-tags", buildinfo.Tags, "-ldflags=-s -w", "-o", out, "./"+pkg)
			cmd.Dir = root
			cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=arm64")
			if b, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("go build: %v\n%s", err, b)
			}
			st, err := os.Stat(out)
			if err != nil {
				t.Fatal(err)
			}
			switch size := st.Size(); {
			case size > sizeCeiling:
				t.Errorf("%s is %d bytes, above the ceiling of %d (target %d): see what it links with go tool nm -size -sort size and go version -m",
					pkg, size, sizeCeiling, sizeTarget)
			case size > sizeTarget:
				t.Logf("%s is %d bytes: under the ceiling of %d, above the target of %d", pkg, size, sizeCeiling, sizeTarget)
			}
		})
	}
}
