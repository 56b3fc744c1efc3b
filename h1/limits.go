package h1

// Limits bound what the parser accepts. A zero field takes its default.
type Limits struct {
	MaxHeadBytes      int // request or status line plus header section, CRLFs included; default 16 KiB
	MaxTargetBytes    int // request target; default 8 KiB
	MaxFields         int // header fields (and trailer fields); default 100
	MaxChunkLineBytes int // chunk size line with extensions, CRLF included; default 1 KiB
}

// Default limits.
const (
	DefaultMaxHeadBytes      = 16 << 10
	DefaultMaxTargetBytes    = 8 << 10
	DefaultMaxFields         = 100
	DefaultMaxChunkLineBytes = 1 << 10
)

func (l Limits) withDefaults() Limits {
	l.MaxHeadBytes = orDefault(l.MaxHeadBytes, DefaultMaxHeadBytes)
	l.MaxTargetBytes = orDefault(l.MaxTargetBytes, DefaultMaxTargetBytes)
	l.MaxFields = orDefault(l.MaxFields, DefaultMaxFields)
	l.MaxChunkLineBytes = orDefault(l.MaxChunkLineBytes, DefaultMaxChunkLineBytes)
	return l
}

func orDefault(v, def int) int {
	if v <= 0 {
		return def
	}
	return v
}
