//go:build linux

package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/uptrace/bun/driver/pgdriver"
)

// proc is a child process the benchmark started and stops.
type proc struct {
	name string
	cmd  *exec.Cmd
	done chan struct{}
	err  error
}

// start runs cmd with its output in logPath. The child is killed if the
// generator dies without cleaning up (Pdeathsig), so an interrupted run
// leaves no server behind.
func start(name string, cmd *exec.Cmd, logPath string) (*proc, error) {
	f, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd.Stdout, cmd.Stderr = f, f
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
	if err := cmd.Start(); err != nil {
		f.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &proc{name: name, cmd: cmd, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		f.Close()
		close(p.done)
	}()
	return p, nil
}

func (p *proc) pid() int { return p.cmd.Process.Pid }

// exited reports whether the process has ended.
func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// stop sends sig, and SIGKILL if the process is still there after grace.
func (p *proc) stop(sig syscall.Signal, grace time.Duration) {
	if p.exited() {
		return
	}
	_ = p.cmd.Process.Signal(sig)
	select {
	case <-p.done:
	case <-time.After(grace):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// freePort asks the kernel for a free loopback port. Another program may
// take it before we do; the start then fails and says so.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// waitFor polls ok every 100 ms until it reports true, the process dies or
// the timeout passes.
func waitFor(ctx context.Context, what string, p *proc, timeout time.Duration, ok func() bool) error {
	deadline := time.Now().Add(timeout)
	for !ok() {
		if p != nil && p.exited() {
			return fmt.Errorf("%s exited before it was ready: %v", what, p.err)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s not ready after %s", what, timeout)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	return nil
}

// database is the PostgreSQL the instances share.
type database struct {
	dsn  string
	proc *proc // nil when the server is not ours
	stop func()
}

// startPostgres starts a throwaway cluster in dir on a free loopback port,
// as .ci/run does (as the postgres user when we are root, since PostgreSQL
// refuses to run as root), or creates a throwaway database in the server
// cfg.Postgres names.
func startPostgres(ctx context.Context, cfg config, dir string, log *slog.Logger) (*database, error) {
	if cfg.Postgres != "" {
		return createDatabase(ctx, cfg.Postgres)
	}
	initdb := filepath.Join(cfg.PGBin, "initdb")
	if _, err := os.Stat(initdb); err != nil {
		return nil, fmt.Errorf("no PostgreSQL at %s (install postgresql, or give -pgbin or -postgres): %w", cfg.PGBin, err)
	}
	pgdir := filepath.Join(dir, "pg")
	if err := os.Mkdir(pgdir, 0o700); err != nil {
		return nil, err
	}
	var cred *syscall.Credential
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			return nil, fmt.Errorf("running as root needs a postgres user for PostgreSQL: %w", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
		if err := os.Chown(pgdir, uid, gid); err != nil {
			return nil, err
		}
		// The postgres user must reach its folder inside ours.
		if err := os.Chmod(dir, 0o711); err != nil {
			return nil, err
		}
	}
	data := filepath.Join(pgdir, "data")
	cmd := exec.CommandContext(ctx, initdb, "-D", data, "-A", "trust", "-U", "postgres", "--no-sync")
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	if out, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("initdb: %w\n%s", err, out)
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	cmd = exec.Command(filepath.Join(cfg.PGBin, "postgres"), "-D", data, "-k", pgdir, "-p", strconv.Itoa(port),
		"-c", "listen_addresses=127.0.0.1", "-c", "max_connections="+strconv.Itoa(cfg.PGMaxConn))
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	p, err := start("postgres", cmd, filepath.Join(dir, "postgres.log"))
	if err != nil {
		return nil, err
	}
	// Fast shutdown on SIGINT; the cluster is thrown away anyway.
	db := &database{dsn: fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", port), proc: p,
		stop: func() { p.stop(syscall.SIGINT, 10*time.Second) }}
	err = waitFor(ctx, "PostgreSQL", p, 60*time.Second, func() bool { return pingDB(ctx, db.dsn) == nil })
	if err != nil {
		db.stop()
		return nil, err
	}
	log.Info("PostgreSQL ready", "port", port)
	return db, nil
}

// createDatabase makes a database of its own in an existing server, like
// the store tests do with TETHER_TEST_POSTGRES, and drops it at the end.
func createDatabase(ctx context.Context, admin string) (*database, error) {
	u, err := url.Parse(admin)
	if err != nil {
		return nil, fmt.Errorf("-postgres: %w", err)
	}
	adb := sql.OpenDB(pgdriver.NewConnector(pgdriver.WithDSN(admin)))
	name := "load_" + strings.ToLower(randomHex(8))
	if _, err := adb.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		adb.Close()
		return nil, fmt.Errorf("create database: %w", err)
	}
	u.Path = "/" + name
	return &database{dsn: u.String(), stop: func() {
		_, _ = adb.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)")
		adb.Close()
	}}, nil
}

func pingDB(ctx context.Context, dsn string) error {
	db := sql.OpenDB(pgdriver.NewConnector(pgdriver.WithDSN(dsn)))
	defer db.Close()
	pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	return db.PingContext(pctx)
}

// startBus starts the message bus the instances join: a standalone process
// of the server binary (an embedded NATS server) on a free loopback port,
// and returns the URL instances take in TETHER_BUS. This is the one place
// that knows the bus's command line.
func startBus(ctx context.Context, tether, dir string) (*proc, string, error) {
	port, err := freePort()
	if err != nil {
		return nil, "", err
	}
	pw := randomHex(16)
	cmd := exec.Command(tether, "bus", "-listen", fmt.Sprintf("127.0.0.1:%d", port), "-user", "tether", "-password", pw)
	p, err := start("bus", cmd, filepath.Join(dir, "bus.log"))
	if err != nil {
		return nil, "", err
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	err = waitFor(ctx, "the bus", p, 30*time.Second, func() bool {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
		}
		return err == nil
	})
	if err != nil {
		p.stop(syscall.SIGTERM, 5*time.Second)
		return nil, "", fmt.Errorf("%w (log: %s)", err, tail(filepath.Join(dir, "bus.log"), 10))
	}
	return p, fmt.Sprintf("nats://tether:%s@%s", pw, addr), nil
}

// instance is one running Tether server.
type instance struct {
	name string
	url  string // http://127.0.0.1:port
	log  string
	proc *proc
}

// ws is the websocket URL of path on the instance.
func (in *instance) ws(path string) string { return "ws" + strings.TrimPrefix(in.url, "http") + path }

// startInstance runs one Tether instance with its own data folder, all of
// them sharing the secret, the database and the bus.
func startInstance(ctx context.Context, tether, dir, name, secret, dsn, bus string) (*instance, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	data := filepath.Join(dir, name)
	cmd := exec.Command(tether)
	cmd.Env = append(os.Environ(),
		"TETHER_DATA="+data, "TETHER_LISTEN="+strings.TrimPrefix(base, "http://"), "TETHER_BASE_URL="+base,
		"TETHER_SECRET="+secret, "TETHER_DATABASE="+dsn, "TETHER_INSTANCE="+name, "TETHER_P2P=false",
		// Every session takes the websocket relay; TURN would only take a
		// fixed port.
		"TETHER_TURN=false")
	if bus != "" {
		cmd.Env = append(cmd.Env, "TETHER_BUS="+bus)
	}
	logPath := filepath.Join(dir, name+".log")
	p, err := start(name, cmd, logPath)
	if err != nil {
		return nil, err
	}
	in := &instance{name: name, url: base, log: logPath, proc: p}
	client := &http.Client{Timeout: 2 * time.Second}
	err = waitFor(ctx, "instance "+name, p, 60*time.Second, func() bool {
		resp, err := client.Get(base + "/healthz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	if err != nil {
		p.stop(syscall.SIGTERM, 5*time.Second)
		return nil, fmt.Errorf("%w (log: %s)", err, tail(logPath, 20))
	}
	return in, nil
}

// tail returns the last n lines of a file, for error messages.
func tail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// raiseFileLimit lifts the soft RLIMIT_NOFILE to the hard limit; the
// instances started after inherit it. It returns the limit now in force.
func raiseFileLimit() (uint64, error) {
	var l syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		return 0, err
	}
	if l.Cur < l.Max {
		l.Cur = l.Max
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
			return 0, err
		}
	}
	if l.Cur == 0 {
		return 0, errors.New("no file descriptors allowed")
	}
	return l.Cur, nil
}
