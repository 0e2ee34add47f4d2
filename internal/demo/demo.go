// Package demo prepares a throw-away Keepstar site that needs nothing
// installed: an SQLite file in a folder of its own and a generated secret key
// kept beside it, so the same folder gives the same site again.
package demo

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/keepstar/keepstar/internal/config"
)

// DefaultListen is the demo's address unless told otherwise.
const DefaultListen = "127.0.0.1:8080"

// DefaultSimListen is where the demo's EVE simulator listens unless taken.
const DefaultSimListen = "127.0.0.1:8081"

// DefaultDiscordListen is where the demo's simulated Discord listens unless
// taken.
const DefaultDiscordListen = "127.0.0.1:8082"

// Site is a prepared demo: its folder, listener and the settings that make it.
type Site struct {
	Dir      string
	Temp     bool // Dir was made for this run and is removed after it
	Listener net.Listener
	// SimListener serves the simulated EVE the site logs in with.
	SimListener net.Listener
	// DiscordListener serves the simulated Discord (internal/discordsim).
	DiscordListener net.Listener
	Settings        config.Overrides
}

// Discord is what the demo's Discord service instance is made from: the
// simulated Discord's origin, its guild, and the bot and OAuth2 application
// registered there for this run. The demo's seed creates the instance from
// it.
type Discord struct {
	URL, GuildID, BotToken, ClientID, ClientSecret string
	// PingChannelID is the guild's channel group pings are posted in.
	PingChannelID string
}

// Prepare makes or reuses the folder dir (a new temporary folder when empty)
// and listens on listen for the site, on simListen for its simulated EVE
// and on discordListen for its simulated Discord. When listen is empty the
// demo tries DefaultListen and falls back to a free port if something else
// has it; so do the simulators with DefaultSimListen and
// DefaultDiscordListen when simListen or discordListen is empty. An address
// given that is taken is an error.
func Prepare(dir, listen, simListen, discordListen string) (*Site, error) {
	site := &Site{Dir: dir}
	if dir == "" {
		d, err := os.MkdirTemp("", "keepstar-demo-")
		if err != nil {
			return nil, fmt.Errorf("demo: %w", err)
		}
		site.Dir, site.Temp = d, true
	} else if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("demo: -dir: %w", err)
	}
	key, err := secretKey(filepath.Join(site.Dir, "secret.key"))
	if err != nil {
		site.Cleanup()
		return nil, err
	}
	ln, err := listenFor("-listen", listen, DefaultListen)
	if err != nil {
		site.Cleanup()
		return nil, err
	}
	simLn, err := listenFor("-evesim-listen", simListen, DefaultSimListen)
	if err != nil {
		ln.Close()
		site.Cleanup()
		return nil, err
	}
	discordLn, err := listenFor("-discord-listen", discordListen, DefaultDiscordListen)
	if err != nil {
		ln.Close()
		simLn.Close()
		site.Cleanup()
		return nil, err
	}
	site.Listener, site.SimListener, site.DiscordListener = ln, simLn, discordLn
	addr := ln.Addr().String()
	simURL := "http://" + simLn.Addr().String()
	site.Settings = config.Overrides{
		"KEEPSTAR_DATABASE_URL":      "sqlite:" + filepath.Join(site.Dir, "keepstar.db"),
		"KEEPSTAR_SECRET_KEY":        key,
		"KEEPSTAR_LISTEN":            addr,
		"KEEPSTAR_BASE_URL":          "http://" + addr,
		"KEEPSTAR_EVE_SSO_URL":       simURL,
		"KEEPSTAR_ESI_URL":           simURL,
		"KEEPSTAR_EVE_IMAGES_URL":    simURL + "/images",
		"KEEPSTAR_EVE_CLIENT_ID":     SimClientID,
		"KEEPSTAR_EVE_CLIENT_SECRET": SimClientSecret,
	}
	return site, nil
}

// The demo's application registered in its simulator.
const (
	SimClientID     = "keepstar"
	SimClientSecret = "keepstar-evesim-secret"
)

// Close closes the listeners, for a demo that stops before serving.
func (s *Site) Close() {
	for _, ln := range []net.Listener{s.Listener, s.SimListener, s.DiscordListener} {
		if ln != nil {
			ln.Close()
		}
	}
}

// Cleanup removes a temporary folder.
func (s *Site) Cleanup() {
	if s.Temp {
		os.RemoveAll(s.Dir)
	}
}

// listenFor listens on listen (given by the flag named), or on def falling
// back to a free port when something else has def.
func listenFor(flag, listen, def string) (net.Listener, error) {
	if listen != "" {
		ln, err := net.Listen("tcp", listen)
		if err != nil {
			return nil, fmt.Errorf("demo: %s %s: %w", flag, listen, err)
		}
		return ln, nil
	}
	ln, err := net.Listen("tcp", def)
	if errors.Is(err, syscall.EADDRINUSE) {
		ln, err = net.Listen("tcp", "127.0.0.1:0")
	}
	if err != nil {
		return nil, fmt.Errorf("demo: listen: %w", err)
	}
	return ln, nil
}

// secretKey reads the demo's key from path, or makes and saves a new one.
func secretKey(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err == nil {
		key := strings.TrimSpace(string(b))
		if len(key) >= config.MinSecretKeyLength {
			return key, nil
		}
		return "", fmt.Errorf("demo: %s holds no usable key; delete it to make a new one", path)
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("demo: %w", err)
	}
	raw := make([]byte, 48)
	if _, err := rand.Read(raw); err != nil {
		return "", fmt.Errorf("demo: %w", err)
	}
	key := base64.RawURLEncoding.EncodeToString(raw)
	if err := os.WriteFile(path, []byte(key+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("demo: %w", err)
	}
	return key, nil
}
