// Command wakecost measures what one wake-up from epoll_wait costs the woken thread in CPU
// time on this machine, as a function of how long the thread slept. A writer thread on CPU 0
// sends one byte over a socketpair every GAP; a reader thread on CPU 1 waits for it in
// epoll_wait (blocking), reads it and waits again. The reader's CPU time (RUSAGE_THREAD) per
// byte is the price of one sleep, one wake-up and two reads.
//
//	wakecost -gaps 20us,50us,100us,300us,1ms -n 5000
//
// Both threads make raw system calls, so the Go scheduler takes no part. On a virtual machine
// whose idle CPU halts after a short poll (cpuidle-haltpoll), a wake-up after a longer sleep
// costs the woken thread several times more than one after a short sleep: this is what makes
// a proxy's CPU time per request on such a machine depend on how often it goes idle
// (bench/H1-FIGURES.md, fifth round).
package main

import (
	"flag"
	"fmt"
	"os"
	"runtime"
	"strings"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

func main() {
	gaps := flag.String("gaps", "20us,50us,100us,300us,1ms", "comma-separated times between writes")
	n := flag.Int("n", 5000, "writes per gap")
	flag.Parse()
	for _, g := range strings.Split(*gaps, ",") {
		gap, err := time.ParseDuration(g)
		if err != nil || gap <= 0 {
			fmt.Fprintf(os.Stderr, "wakecost: bad gap %q\n", g)
			os.Exit(2)
		}
		perWake, wakes, err := measure(gap, *n)
		if err != nil {
			fmt.Fprintln(os.Stderr, "wakecost:", err)
			os.Exit(1)
		}
		fmt.Printf("gap %-8v wake-ups %5d  reader CPU %6.2f µs per wake-up\n", gap, wakes, perWake)
	}
}

// measure runs one writer/reader pair for n writes, gap apart.
func measure(gap time.Duration, n int) (perWake float64, wakes int, err error) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return 0, 0, err
	}
	defer unix.Close(fds[0])
	defer unix.Close(fds[1])
	type result struct {
		cpu   time.Duration
		wakes int
		err   error
	}
	done := make(chan result, 1)
	go func() {
		cpu, wakes, err := read(fds[0], n)
		done <- result{cpu, wakes, err}
	}()
	if err := write(fds[1], n, gap); err != nil {
		return 0, 0, err
	}
	r := <-done
	if r.err != nil || r.wakes == 0 {
		return 0, r.wakes, r.err
	}
	return float64(r.cpu.Nanoseconds()) / 1e3 / float64(r.wakes), r.wakes, nil
}

// write sends n bytes, one every gap, from a thread pinned to CPU 0 (spinning between them).
func write(fd, n int, gap time.Duration) error {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if err := pin(0); err != nil {
		return err
	}
	b := []byte{1}
	next := time.Now()
	for range n {
		next = next.Add(gap)
		for time.Now().Before(next) {
		}
		if _, _, errno := unix.RawSyscall(unix.SYS_WRITE, uintptr(fd), uintptr(unsafe.Pointer(&b[0])), 1); errno != 0 {
			return errno
		}
	}
	return nil
}

// read waits for n bytes on a thread pinned to CPU 1 and returns its CPU time and how many
// epoll_wait calls returned events.
func read(fd, n int) (time.Duration, int, error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if err := pin(1); err != nil {
		return 0, 0, err
	}
	ep, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return 0, 0, err
	}
	defer unix.Close(ep)
	ev := unix.EpollEvent{Events: unix.EPOLLIN | unix.EPOLLET, Fd: int32(fd)}
	if err := unix.EpollCtl(ep, unix.EPOLL_CTL_ADD, fd, &ev); err != nil {
		return 0, 0, err
	}
	events := make([]unix.EpollEvent, 8)
	buf := make([]byte, 4096)
	start, wakes := threadCPU(), 0
	for got := 0; got < n; {
		k, _, _ := unix.RawSyscall6(unix.SYS_EPOLL_PWAIT, uintptr(ep), uintptr(unsafe.Pointer(&events[0])), uintptr(len(events)), ^uintptr(0), 0, 0)
		if int(k) > 0 {
			wakes++
		}
		got += drain(fd, buf)
	}
	return threadCPU() - start, wakes, nil
}

// drain reads until the socket is empty and returns the bytes read.
func drain(fd int, buf []byte) int {
	total := 0
	for {
		m, _, errno := unix.RawSyscall(unix.SYS_READ, uintptr(fd), uintptr(unsafe.Pointer(&buf[0])), uintptr(len(buf)))
		if errno != 0 || int(m) <= 0 {
			return total
		}
		total += int(m)
	}
}

func pin(cpu int) error {
	var set unix.CPUSet
	set.Set(cpu)
	return unix.SchedSetaffinity(0, &set)
}

func threadCPU() time.Duration {
	var ru unix.Rusage
	unix.Getrusage(unix.RUSAGE_THREAD, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
