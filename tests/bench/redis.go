package bench

import (
	"context"
	"fmt"
	"net"
	"os/exec"
	"strconv"
	"time"
)

// StartRedis starts a redis-server on a free loopback port with its files
// in dir, for the dedupe locks, and waits until it answers. stop kills it.
func StartRedis(ctx context.Context, dir string) (url string, stop func(), err error) {
	addrs, err := FreeAddrs(1)
	if err != nil {
		return "", nil, err
	}
	_, port, _ := net.SplitHostPort(addrs[0])
	cmd := exec.Command("redis-server", "--port", port, "--bind", "127.0.0.1", "--dir", dir,
		"--save", "", "--appendonly", "no")
	if err := cmd.Start(); err != nil {
		return "", nil, fmt.Errorf("bench: start redis-server: %w", err)
	}
	stop = func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		if c, err := net.DialTimeout("tcp", addrs[0], time.Second); err == nil {
			_, _ = c.Write([]byte("PING\r\n"))
			buf := make([]byte, 7)
			n, _ := c.Read(buf)
			c.Close()
			if string(buf[:n]) == "+PONG\r\n" {
				return "redis://127.0.0.1:" + strconv.Itoa(mustAtoi(port)) + "/0", stop, nil
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	stop()
	return "", nil, fmt.Errorf("bench: redis-server on %s not ready", addrs[0])
}

func mustAtoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}
