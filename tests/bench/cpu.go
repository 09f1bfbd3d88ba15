package bench

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// userHZ is the kernel's USER_HZ, the unit of /proc/<pid>/stat's CPU
// times: 100 on every Linux architecture Go supports.
const userHZ = 100

// ReadCPU returns the CPU time (user + system) pid has used so far, from
// /proc/<pid>/stat. CPU per event is the figure that survives a busy
// machine: throughput there measures the share of the CPU the process
// got, CPU time per event what each event costs.
func ReadCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return 0, fmt.Errorf("%w: %w", ErrNoProcessStatus, err)
	}
	return parseStat(b)
}

// parseStat reads utime and stime (fields 14 and 15) of a stat line; the
// command name in field 2 may hold spaces and parentheses, so fields are
// counted after its last ')'.
func parseStat(b []byte) (time.Duration, error) {
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, fmt.Errorf("%w: no command field", ErrNoProcessStatus)
	}
	f := bytes.Fields(b[i+1:])
	// f[0] is field 3 (state), so utime (14) is f[11] and stime (15) f[12].
	if len(f) < 13 {
		return 0, fmt.Errorf("%w: %d fields", ErrNoProcessStatus, len(f)+2)
	}
	var ticks int64
	for _, s := range f[11:13] {
		n, err := strconv.ParseInt(string(s), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("%w: %w", ErrNoProcessStatus, err)
		}
		ticks += n
	}
	return time.Duration(ticks) * time.Second / userHZ, nil
}
