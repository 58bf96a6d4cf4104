// Package version says which build a binary is, for --version.
package version

import (
	"fmt"
	"runtime"
	"runtime/debug"
)

// Version is the release, set at build time:
//
//	go build -ldflags "-X github.com/rostersync/rostersync/internal/version.Version=1.2.3" ./worker
//
// (the Dockerfile's VERSION argument does this). Unset, it is "dev".
var Version = "dev"

// String is the line `NAME --version` prints: the release, the VCS revision
// when the build recorded one, the Go version and, when linked in, the
// Temporal SDK version.
func String(name string) string {
	rev, sdk := "", ""
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				rev = " (" + s.Value[:12] + ")"
			}
		}
		for _, d := range bi.Deps {
			if d.Path == "go.temporal.io/sdk" {
				sdk = d.Version
			}
		}
	}
	s := fmt.Sprintf("%s %s%s, %s", name, Version, rev, runtime.Version())
	if sdk != "" {
		s += ", Temporal Go SDK " + sdk
	}
	return s
}
