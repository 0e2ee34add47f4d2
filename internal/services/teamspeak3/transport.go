package teamspeak3

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"time"

	"golang.org/x/crypto/ssh"
)

// Conn is a transport's connection: the line protocol's reader and
// writer, a deadline for the next exchange, and Close.
type Conn interface {
	io.ReadWriteCloser
	SetDeadline(t time.Time) error
}

// Dialer opens a transport's connection.
type Dialer func(ctx context.Context) (Conn, error)

// RawDialer dials the raw ("telnet") ServerQuery port, 10011 by default:
// plain text, the login is a command.
func RawDialer(addr string) Dialer {
	return func(ctx context.Context) (Conn, error) {
		var d net.Dialer
		c, err := d.DialContext(ctx, "tcp", addr)
		if err != nil {
			return nil, err
		}
		return c.(*net.TCPConn), nil
	}
}

// HostKeys checks the server's SSH host key: against the pinned SHA256
// fingerprint when one is set, otherwise trusting the first key seen and
// refusing any other after it (trust on first use, for the life of the
// process), the key's fingerprint logged for the admin to pin.
type HostKeys struct {
	Pinned string // "SHA256:…", as ssh-keygen -lf shows it
	Logger *slog.Logger

	mu   sync.Mutex
	seen string
}

// ErrHostKey is a host key other than the pinned or first-seen one.
var ErrHostKey = errors.New("teamspeak3: the server's SSH host key is not the expected one")

// Seen is the fingerprint of the key trusted on first use ("" if none).
func (h *HostKeys) Seen() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.seen
}

func (h *HostKeys) check(hostname string, _ net.Addr, key ssh.PublicKey) error {
	fp := ssh.FingerprintSHA256(key)
	if h.Pinned != "" {
		if subtle.ConstantTimeCompare([]byte(fp), []byte(h.Pinned)) != 1 {
			return fmt.Errorf("%w: %s presented %s, the setting pins %s", ErrHostKey, hostname, fp, h.Pinned)
		}
		return nil
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	switch h.seen {
	case "":
		h.seen = fp
		if h.Logger != nil {
			h.Logger.Warn("teamspeak3: trusting the server's SSH host key on first use; pin it in the instance's settings",
				"host", hostname, "fingerprint", fp)
		}
		return nil
	case fp:
		return nil
	}
	return fmt.Errorf("%w: %s presented %s, first seen %s", ErrHostKey, hostname, fp, h.seen)
}

// SSHDialer dials ServerQuery over SSH (10022 by default): the query login
// is the SSH login, and a session channel's shell speaks the same lines.
func SSHDialer(addr, user, password string, keys *HostKeys) Dialer {
	return func(ctx context.Context) (Conn, error) {
		var d net.Dialer
		nc, err := d.DialContext(ctx, "tcp", addr)
		if err != nil {
			return nil, err
		}
		if dl, ok := ctx.Deadline(); ok {
			_ = nc.SetDeadline(dl)
		}
		cfg := &ssh.ClientConfig{User: user, Auth: []ssh.AuthMethod{ssh.Password(password)},
			HostKeyCallback: keys.check, Timeout: 30 * time.Second}
		cc, chans, reqs, err := ssh.NewClientConn(nc, addr, cfg)
		if err != nil {
			_ = nc.Close()
			return nil, fmt.Errorf("teamspeak3: ssh: %w", err)
		}
		_ = nc.SetDeadline(time.Time{})
		client := ssh.NewClient(cc, chans, reqs)
		sess, err := client.NewSession()
		if err != nil {
			_ = client.Close()
			return nil, fmt.Errorf("teamspeak3: ssh session: %w", err)
		}
		in, err := sess.StdinPipe()
		if err != nil {
			_ = client.Close()
			return nil, fmt.Errorf("teamspeak3: ssh: %w", err)
		}
		out, err := sess.StdoutPipe()
		if err != nil {
			_ = client.Close()
			return nil, fmt.Errorf("teamspeak3: ssh: %w", err)
		}
		if err := sess.Shell(); err != nil {
			_ = client.Close()
			return nil, fmt.Errorf("teamspeak3: ssh shell: %w", err)
		}
		return &sshConn{Reader: out, in: in, client: client, tcp: nc}, nil
	}
}

// sshConn is a shell channel; deadlines are the TCP connection's.
type sshConn struct {
	io.Reader
	in     io.WriteCloser
	client *ssh.Client
	tcp    net.Conn
}

func (c *sshConn) Write(p []byte) (int, error)   { return c.in.Write(p) }
func (c *sshConn) SetDeadline(t time.Time) error { return c.tcp.SetDeadline(t) }
func (c *sshConn) Close() error                  { return c.client.Close() }
