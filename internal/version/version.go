// Package version tells which Keepstar this is.
package version

import "runtime/debug"

// Version is set at build time with -ldflags "-X github.com/keepstar/keepstar/internal/version.Version=v1.2.3".
// Without it, the module version or the VCS revision recorded by the Go
// toolchain is used.
var Version = ""

// String gives the version for display.
func String() string {
	if Version != "" {
		return Version
	}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "dev"
	}
	if v := info.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	for _, s := range info.Settings {
		if s.Key == "vcs.revision" && len(s.Value) >= 12 {
			return "dev-" + s.Value[:12]
		}
	}
	return "dev"
}
