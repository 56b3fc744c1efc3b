package netloop

import "golang.org/x/sys/unix"

const syscallECONNREFUSED = unix.ECONNREFUSED
