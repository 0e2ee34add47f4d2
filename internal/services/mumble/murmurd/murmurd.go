// Package murmurd runs a Mumble server (Debian's mumble-server, built with
// Ice) as a child process on loopback: for the demo, which gives its
// visitors a Mumble server when one is installed, and for the tests
// (package mumbletest).
package murmurd

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Options say how to run murmurd.
type Options struct {
	// Bin is the murmurd binary.
	Bin string
	// Dir holds its ini, database and certificate; a kept Dir keeps its
	// users and settings (forceExternalAuth among them) across runs.
	Dir string
	// IcePort and VoicePort are its loopback ports (0: a free one each).
	IcePort, VoicePort int
	// Secret is the Ice write secret (icesecretwrite).
	Secret string
	// ServerPassword, when set, is the password unregistered users give.
	ServerPassword string
	// Ini holds more ini lines ("key=value").
	Ini []string
	// StartLimit bounds the wait for the server to listen (0: a minute; it
	// starts in about a second, a few more the first time, when it
	// measures PBKDF2).
	StartLimit time.Duration
}

// Process is a running murmurd (or the last one, once stopped).
type Process struct {
	// IceAddr is host:port of its Ice endpoint (the Meta object).
	IceAddr string
	// VoiceAddr is host:port of virtual server 1, where clients connect.
	VoiceAddr string

	opts    Options
	iniPath string

	mu   sync.Mutex
	proc *child // the running process
	last *child // the last one, for its log
}

type child struct {
	cmd    *exec.Cmd
	exited chan struct{}
	logMu  sync.Mutex
	log    strings.Builder
}

func (c *child) output() string {
	c.logMu.Lock()
	defer c.logMu.Unlock()
	return c.log.String()
}

// Start writes murmurd's ini in opts.Dir and runs it, returning once its
// virtual server 1 listens.
func Start(ctx context.Context, opts Options) (*Process, error) {
	if opts.Bin == "" || opts.Dir == "" || opts.Secret == "" {
		return nil, errors.New("murmurd: the binary, a folder and the Ice secret are needed")
	}
	if opts.StartLimit == 0 {
		opts.StartLimit = time.Minute
	}
	if os.Geteuid() == 0 {
		// Started as root, Debian's murmurd switches to the mumble-server
		// user, who may not reach a folder of root's. The demo's and the
		// tests' server runs as whoever runs them, on loopback; a real
		// server runs as its own user.
		opts.Ini = append([]string{"uname=root"}, opts.Ini...)
	}
	var err error
	for _, port := range []*int{&opts.IcePort, &opts.VoicePort} {
		if *port == 0 {
			if *port, err = FreePort(); err != nil {
				return nil, err
			}
		}
	}
	var ini strings.Builder
	fmt.Fprintf(&ini, "database=%s\n", filepath.Join(opts.Dir, "murmur.sqlite"))
	fmt.Fprintf(&ini, "ice=\"tcp -h 127.0.0.1 -p %d\"\n", opts.IcePort)
	fmt.Fprintf(&ini, "icesecretwrite=%s\n", opts.Secret)
	fmt.Fprintf(&ini, "host=127.0.0.1\nport=%d\n", opts.VoicePort)
	if opts.ServerPassword != "" {
		fmt.Fprintf(&ini, "serverpassword=%s\n", opts.ServerPassword)
	}
	for _, l := range opts.Ini {
		ini.WriteString(l + "\n")
	}
	p := &Process{opts: opts, iniPath: filepath.Join(opts.Dir, "murmur.ini"),
		IceAddr:   net.JoinHostPort("127.0.0.1", strconv.Itoa(opts.IcePort)),
		VoiceAddr: net.JoinHostPort("127.0.0.1", strconv.Itoa(opts.VoicePort))}
	if err := os.WriteFile(p.iniPath, []byte(ini.String()), 0o644); err != nil {
		return nil, fmt.Errorf("murmurd: %w", err)
	}
	return p, p.start(ctx)
}

// FreePort returns a loopback port free for both TCP and UDP at the moment
// (a voice port is both).
func FreePort() (int, error) {
	for range 20 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return 0, fmt.Errorf("murmurd: %w", err)
		}
		port := ln.Addr().(*net.TCPAddr).Port
		pc, err := net.ListenPacket("udp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		ln.Close()
		if err == nil {
			pc.Close()
			return port, nil
		}
	}
	return 0, errors.New("murmurd: no loopback port free for both TCP and UDP")
}

// start runs murmurd and waits until server 1 listens.
func (p *Process) start(ctx context.Context) error {
	cmd := exec.Command(p.opts.Bin, "-ini", p.iniPath, "-fg")
	cmd.Dir = p.opts.Dir
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("murmurd: start: %w", err)
	}
	c := &child{cmd: cmd, exited: make(chan struct{})}
	go func() {
		cmd.Wait()
		pw.Close()
		close(c.exited)
	}()
	p.mu.Lock()
	p.proc, p.last = c, c
	p.mu.Unlock()

	ready := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(pr)
		signalled := false
		for sc.Scan() {
			line := sc.Text()
			c.logMu.Lock()
			c.log.WriteString(line + "\n")
			c.logMu.Unlock()
			// The Ice endpoint runs before the servers boot, so server
			// 1 listening means both are ready.
			if !signalled && strings.Contains(line, "1 => Server listening on") {
				signalled = true
				close(ready)
			}
		}
		io.Copy(io.Discard, pr)
	}()
	timer := time.NewTimer(p.opts.StartLimit)
	defer timer.Stop()
	select {
	case <-ready:
		return nil
	case <-c.exited:
		return fmt.Errorf("murmurd exited before its server listened:\n%s", c.output())
	case <-ctx.Done():
		p.Stop()
		return ctx.Err()
	case <-timer.C:
		p.Stop()
		return fmt.Errorf("murmurd did not start within %s:\n%s", p.opts.StartLimit, c.output())
	}
}

// Log returns what the running (or last) process printed.
func (p *Process) Log() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.last == nil {
		return ""
	}
	return p.last.output()
}

// Stop stops murmurd (SIGTERM) and waits for it to exit; again, it does
// nothing.
func (p *Process) Stop() {
	p.mu.Lock()
	c := p.proc
	p.proc = nil
	p.mu.Unlock()
	if c == nil {
		return
	}
	c.cmd.Process.Signal(syscall.SIGTERM)
	timer := time.NewTimer(stopLimit)
	defer timer.Stop()
	select {
	case <-c.exited:
	case <-timer.C:
		// A murmurd stuck shutting down must not hang its parent.
		c.cmd.Process.Kill()
		<-c.exited
	}
}

// stopLimit bounds how long murmurd may take to stop after SIGTERM before
// it is killed (it stops at once in practice).
const stopLimit = 20 * time.Second

// Restart stops murmurd and starts it again on the same ports, ini and
// database.
func (p *Process) Restart(ctx context.Context) error {
	p.Stop()
	return p.start(ctx)
}
