package perf

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"
)

// ProcessCPU returns the CPU time (user + system) this process has used so
// far; the difference of two calls is what a phase cost, threads included.
func ProcessCPU() time.Duration {
	user, sys := processCPU()
	return user + sys
}

// ProcessUsage is what another local process has used so far: CPU time
// (user + system) and resident memory, now and at its peak. It is read from
// /proc, so it works for a broker on this machine only.
type ProcessUsage struct {
	CPU              time.Duration
	RSSMB, PeakRSSMB float64
}

// userHZ is the unit of /proc/PID/stat's CPU times (USER_HZ, 100 on every
// Linux architecture Go supports).
const userHZ = 100

// ReadProcessUsage reads process pid's usage from /proc.
func ReadProcessUsage(pid int) (ProcessUsage, error) {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return ProcessUsage{}, fmt.Errorf("read the CPU time of process %d: %w", pid, err)
	}
	// The command name (field 2) is in parentheses and may hold spaces;
	// utime and stime are fields 14 and 15, the 12th and 13th after it.
	var fields []string
	if i := bytes.LastIndexByte(stat, ')'); i >= 0 {
		fields = strings.Fields(string(stat[i+1:]))
	}
	if len(fields) < 13 {
		return ProcessUsage{}, fmt.Errorf("process %d: unexpected /proc/%d/stat", pid, pid)
	}
	utime, err1 := strconv.ParseInt(fields[11], 10, 64)
	stime, err2 := strconv.ParseInt(fields[12], 10, 64)
	if err1 != nil || err2 != nil {
		return ProcessUsage{}, fmt.Errorf("process %d: unexpected CPU times in /proc/%d/stat", pid, pid)
	}
	u := ProcessUsage{CPU: time.Duration(utime+stime) * time.Second / userHZ}
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return ProcessUsage{}, fmt.Errorf("read the memory of process %d: %w", pid, err)
	}
	u.RSSMB, u.PeakRSSMB = statusMB(status, "VmRSS:"), statusMB(status, "VmHWM:")
	return u, nil
}

// PeakRSSMB returns the most resident memory this process has had (VmHWM),
// in MB, or 0 where /proc is not available.
func PeakRSSMB() float64 {
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	return statusMB(status, "VmHWM:")
}

// statusMB reads a "kB" line of /proc/PID/status, in MB.
func statusMB(status []byte, key string) float64 {
	for line := range strings.Lines(string(status)) {
		if rest, ok := strings.CutPrefix(line, key); ok {
			kb, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")))
			return float64(kb) / 1024
		}
	}
	return 0
}

// BrokerWatch measures what a local broker process spends during a test
// run, for the broker's rows of a benchmark table.
type BrokerWatch struct {
	pid   int
	start ProcessUsage
}

// WatchBroker starts measuring process pid.
func WatchBroker(pid int) (*BrokerWatch, error) {
	u, err := ReadProcessUsage(pid)
	if err != nil {
		return nil, err
	}
	return &BrokerWatch{pid: pid, start: u}, nil
}

// WriteSummary prints the broker's CPU time since WatchBroker, per record
// for the given record count, and its resident memory now and at its peak.
func (b *BrokerWatch) WriteSummary(w io.Writer, records int64) error {
	u, err := ReadProcessUsage(b.pid)
	if err != nil {
		return err
	}
	cpu := u.CPU - b.start.CPU
	perRecord := 0.0
	if records > 0 {
		perRecord = float64(cpu.Nanoseconds()) / float64(records)
	}
	_, err = fmt.Fprintf(w, "broker (pid %d) CPU: %.2fs, %.0f ns/record; RSS %.1f MB, peak %.1f MB\n",
		b.pid, cpu.Seconds(), perRecord, u.RSSMB, u.PeakRSSMB)
	return err
}
