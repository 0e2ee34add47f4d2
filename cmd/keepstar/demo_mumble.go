package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/keepstar/keepstar/internal/demo"
	"github.com/keepstar/keepstar/internal/services/mumble/murmurd"
)

// findMurmurd resolves the demo's -murmurd flag: "auto" finds Debian's
// mumble-server if it is installed, "none" runs no Mumble server.
func findMurmurd(flag string) string {
	switch flag {
	case "none", "":
		return ""
	case "auto":
		if p, err := exec.LookPath("murmurd"); err == nil {
			return p
		}
		if _, err := os.Stat("/usr/sbin/murmurd"); err == nil {
			return "/usr/sbin/murmurd"
		}
		return ""
	}
	return flag
}

// startDemoMumble runs murmurd for the demo in dir/mumble (kept with the
// demo's folder), with a new Ice secret each run.
func startDemoMumble(ctx context.Context, bin, dir string) (*murmurd.Process, demo.Mumble, error) {
	folder := filepath.Join(dir, "mumble")
	if err := os.MkdirAll(folder, 0o700); err != nil {
		return nil, demo.Mumble{}, err
	}
	secret := rand.Text()
	p, err := murmurd.Start(ctx, murmurd.Options{Bin: bin, Dir: folder, Secret: secret,
		Ini: []string{"sqlite_wal=2", "welcometext=\"Keepstar demo: logged in through Keepstar's authenticator.\""}})
	if err != nil {
		return nil, demo.Mumble{}, fmt.Errorf("mumble server %s: %w", bin, err)
	}
	return p, demo.Mumble{IceAddr: p.IceAddr, VoiceAddr: p.VoiceAddr, Secret: secret}, nil
}

// mumbleLine is the demo's banner line about its Mumble server.
func mumbleLine(m demo.Mumble) string {
	if m.VoiceAddr == "" {
		return "Mumble: no Mumble server installed (Debian's mumble-server), so the demo has no Mumble service.\n"
	}
	return "Mumble server (real murmurd, Keepstar its authenticator): " + m.VoiceAddr + "\n"
}
