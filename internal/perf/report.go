package perf

import (
	"fmt"
	"io"
	"os"
	"time"
)

// IsTerminal reports whether f is a character device, the cheap test the
// perf tools use to decide whether to draw a live progress line.
func IsTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// progressLine rewrites one terminal line in place.
type progressLine struct {
	w     io.Writer
	drawn bool
}

// show replaces the line with text.
func (p *progressLine) show(format string, args ...any) {
	if p.w == nil {
		return
	}
	fmt.Fprintf(p.w, "\r"+format+"\x1b[K", args...)
	p.drawn = true
}

// clear erases the line if something was drawn.
func (p *progressLine) clear() {
	if p.w != nil && p.drawn {
		fmt.Fprint(p.w, "\r\x1b[K")
		p.drawn = false
	}
}

// CPUUsage is the CPU time the client process used during a test.
type CPUUsage struct {
	// User and System are the process's user and kernel CPU time.
	User, System time.Duration
}

// Cores returns the average number of cores busy over wall time d.
func (c CPUUsage) Cores(d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return float64(c.User+c.System) / float64(d)
}

// cpuMeter measures process CPU time from its creation.
type cpuMeter struct{ user, sys time.Duration }

func startCPU() cpuMeter {
	u, s := processCPU()
	return cpuMeter{u, s}
}

func (m cpuMeter) used() CPUUsage {
	u, s := processCPU()
	return CPUUsage{User: u - m.user, System: s - m.sys}
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func perSecond(n float64, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return n / d.Seconds()
}

const mb = 1024 * 1024
