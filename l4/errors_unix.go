package l4

import "syscall"

// errTooManyFiles is the accept error that passes once connections close.
const errTooManyFiles = syscall.EMFILE
