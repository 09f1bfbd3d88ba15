package chaos

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"
)

// stopGrace is how long Stop waits after SIGTERM before SIGKILL.
const stopGrace = 10 * time.Second

// Proc is one supervised OS process: a service replica or a NATS node. It
// can be killed with SIGKILL and started again with the same arguments; its
// output of every run is appended to one log file. A Proc that exits
// without being killed counts as a crash (Revive restarts it, as systemd's
// Restart=always would).
type Proc struct {
	// Name identifies the process in logs and results ("statesync-1").
	Name string
	// Kind groups replicas ("statesync", "nats").
	Kind    string
	bin     string
	args    []string
	logPath string

	mu      sync.Mutex
	cmd     *exec.Cmd
	exited  chan struct{} // closed when the current run has exited
	down    bool          // stopped on purpose: not to be revived
	kills   int
	starts  int
	crashes int
}

// NewProc returns a process that runs bin with args, appending its output
// to logPath. It does not start it.
func NewProc(name, kind, bin, logPath string, args ...string) *Proc {
	return &Proc{Name: name, Kind: kind, bin: bin, args: args, logPath: logPath}
}

// Start starts the process. It returns an error wrapping ErrRunning when
// it already runs.
func (p *Proc) Start() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.startLocked()
}

func (p *Proc) startLocked() error {
	if p.runningLocked() {
		return fmt.Errorf("%w: %s", ErrRunning, p.Name)
	}
	log, err := os.OpenFile(p.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("chaos: %s log: %w", p.Name, err)
	}
	fmt.Fprintf(log, "### %s start %d at %s\n", p.Name, p.starts+1, time.Now().UTC().Format(time.RFC3339Nano))
	cmd := exec.Command(p.bin, p.args...)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		log.Close()
		return fmt.Errorf("chaos: start %s: %w", p.Name, err)
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		log.Close()
		close(exited)
	}()
	p.cmd, p.exited, p.down = cmd, exited, false
	p.starts++
	return nil
}

// runningLocked reports whether the current run has not exited; the
// caller holds mu.
func (p *Proc) runningLocked() bool {
	if p.cmd == nil {
		return false
	}
	select {
	case <-p.exited:
		return false
	default:
		return true
	}
}

// Running reports whether the process runs.
func (p *Proc) Running() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.runningLocked()
}

// Kill sends SIGKILL and waits for the process to be gone; it stays down
// until Start. Killing a process that does not run is not an error.
func (p *Proc) Kill() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.killLocked()
}

func (p *Proc) killLocked() error {
	p.down = true
	if !p.runningLocked() {
		return nil
	}
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("chaos: kill %s: %w", p.Name, err)
	}
	<-p.exited
	p.kills++
	return nil
}

// Bounce kills the process with SIGKILL and starts it again at once.
func (p *Proc) Bounce() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := p.killLocked(); err != nil {
		return err
	}
	return p.startLocked()
}

// Revive starts the process again if it exited without being killed or
// stopped, and reports whether it did (a crash).
func (p *Proc) Revive() (bool, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.down || p.cmd == nil || p.runningLocked() {
		return false, nil
	}
	p.crashes++
	return true, p.startLocked()
}

// Stop ends the process for good: SIGTERM, then SIGKILL after a grace
// period.
func (p *Proc) Stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = true
	if !p.runningLocked() {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(stopGrace):
		_ = p.cmd.Process.Signal(syscall.SIGKILL)
		<-p.exited
	}
}

// Counts returns how often the process was killed, started and found
// crashed.
func (p *Proc) Counts() (kills, starts, crashes int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.kills, p.starts, p.crashes
}

// LogPath is the file the process's output goes to.
func (p *Proc) LogPath() string { return p.logPath }
