package balance

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/fulcrum-lb/fulcrum/backend"
)

// Algorithm names, as a pool's configuration spells them (config.Algorithms).
const (
	RoundRobin       = "round_robin"
	LeastConnections = "least_connections"
	Random           = "random"
	PowerOfTwo       = "power_of_two"
	First            = "first"
	PeakEWMA         = "peak_ewma"
	Hash             = "hash"
)

// Hash methods for the hash algorithm.
const (
	Maglev = "maglev"
	Ring   = "ring"
)

const (
	// DefaultTableSize is the Maglev lookup table size when Options.TableSize is 0.
	DefaultTableSize = 65537
	// MaxTableSize bounds the Maglev table (4 bytes a slot).
	MaxTableSize = 1 << 24
	// MaxWeight bounds a member's weight, so weight arithmetic cannot overflow.
	MaxWeight = 1 << 20
)

// Options chooses and tunes a picker. The zero value of every field but Algorithm is a
// sensible default.
type Options struct {
	// Algorithm is one of the names above; empty means round_robin.
	Algorithm string
	// HashMethod is maglev (default) or ring; hash only.
	HashMethod string
	// TableSize is the Maglev table size, a prime at least the number of members;
	// 0 means DefaultTableSize. Hash with maglev only.
	TableSize int
	// BoundedLoad is c in consistent hashing with bounded loads: 0 turns it off, otherwise
	// c >= 1 caps each member at ceil(c × mean in-flight). Hash only.
	BoundedLoad float64
	// Rand returns uniformly random 64-bit values; it must be safe for concurrent use.
	// nil means math/rand/v2.Uint64.
	Rand func() uint64
}

// New builds a picker over members, which it copies; the members' States stay shared, so the
// picker sees live load and health. New does the expensive work (sequences, tables) once,
// so Pick takes no lock and allocates nothing. A bad option or member is an error.
func New(o Options, members []backend.Member) (Picker, error) {
	if err := validateMembers(members); err != nil {
		return nil, err
	}
	if o.Rand == nil {
		o.Rand = rand.Uint64
	}
	p := pool{members: slices.Clone(members)}
	switch o.Algorithm {
	case RoundRobin, "":
		return newRoundRobin(p), nil
	case LeastConnections:
		return &leastConnections{pool: p}, nil
	case Random:
		return &randomPicker{newWeighted(p, o.Rand)}, nil
	case PowerOfTwo:
		return &twoChoices{weighted: newWeighted(p, o.Rand), better: lessLoaded}, nil
	case PeakEWMA:
		return &twoChoices{weighted: newWeighted(p, o.Rand), better: cheaper}, nil
	case First:
		return &first{pool: p}, nil
	case Hash:
		return newHash(o, p)
	}
	return nil, fmt.Errorf("balance: unknown algorithm %q (want one of %s)", o.Algorithm, strings.Join(algorithms, ", "))
}

var algorithms = []string{RoundRobin, LeastConnections, Random, PowerOfTwo, First, PeakEWMA, Hash}

func validateMembers(members []backend.Member) error {
	var errs []error
	for i, m := range members {
		switch {
		case m.State == nil:
			errs = append(errs, fmt.Errorf("balance: member %d has no state", i))
		case m.Weight < 0 || m.Weight > MaxWeight:
			errs = append(errs, fmt.Errorf("balance: member %d (%s): weight %d out of range [0, %d]", i, m.Address, m.Weight, MaxWeight))
		case m.MaxConnections < 0:
			errs = append(errs, fmt.Errorf("balance: member %d (%s): negative max connections %d", i, m.Address, m.MaxConnections))
		}
	}
	return errors.Join(errs...)
}

// validateHash checks and defaults the hash options.
func validateHash(o *Options, active int) error {
	if o.HashMethod == "" {
		o.HashMethod = Maglev
	}
	if o.HashMethod != Maglev && o.HashMethod != Ring {
		return fmt.Errorf("balance: unknown hash method %q (want maglev or ring)", o.HashMethod)
	}
	if o.TableSize == 0 {
		o.TableSize = DefaultTableSize
	}
	if o.HashMethod == Maglev {
		if err := validateTableSize(o.TableSize, active); err != nil {
			return err
		}
	}
	if b := o.BoundedLoad; b != 0 && !(b >= 1 && b <= math.MaxFloat32) {
		return fmt.Errorf("balance: bounded load %v must be 0 (off) or at least 1", b)
	}
	return nil
}

func validateTableSize(size, active int) error {
	if size < 2 || size > MaxTableSize || !isPrime(size) {
		return fmt.Errorf("balance: maglev table size %d must be a prime in [2, %d]", size, MaxTableSize)
	}
	if size < active {
		return fmt.Errorf("balance: maglev table size %d is smaller than the %d members", size, active)
	}
	return nil
}

func isPrime(n int) bool {
	if n < 2 {
		return false
	}
	for d := 2; d*d <= n; d++ {
		if n%d == 0 {
			return false
		}
	}
	return true
}
