package accesslog

import (
	"fmt"
	"io"
	"os"
	"sync"
)

// output is where lines go: a standard stream, or a file that can be reopened.
// mu guards file; w is immutable for a standard stream.
type output struct {
	path string
	w    io.Writer // stdout or stderr; nil for a file

	mu   sync.Mutex
	file *os.File
}

func openOutput(opts Options) (*output, error) {
	switch opts.Path {
	case "stdout":
		return &output{path: opts.Path, w: orDefault(opts.Stdout, os.Stdout)}, nil
	case "stderr":
		return &output{path: opts.Path, w: orDefault(opts.Stderr, os.Stderr)}, nil
	case "":
		return nil, fmt.Errorf("access log: no path (a file, stdout or stderr)")
	}
	f, err := openFile(opts.Path)
	if err != nil {
		return nil, err
	}
	return &output{path: opts.Path, file: f}, nil
}

func orDefault(w, def io.Writer) io.Writer {
	if w == nil {
		return def
	}
	return w
}

func openFile(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("access log: %w", err)
	}
	return f, nil
}

// Write writes one line (slog's handler calls it once per record).
func (o *output) Write(p []byte) (int, error) {
	if o.w != nil {
		return o.w.Write(p)
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.file == nil {
		return 0, os.ErrClosed
	}
	return o.file.Write(p)
}

func (o *output) reopen() error {
	if o.w != nil {
		return nil
	}
	f, err := openFile(o.path)
	if err != nil {
		return err
	}
	o.mu.Lock()
	old := o.file
	o.file = f
	o.mu.Unlock()
	if old != nil {
		return old.Close()
	}
	return nil
}

func (o *output) close() error {
	if o.w != nil {
		return nil
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.file == nil {
		return nil
	}
	err := o.file.Close()
	o.file = nil
	return err
}
