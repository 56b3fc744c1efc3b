// Package affinity owns cookie session affinity: it signs and verifies the value of a
// cookie that names a backend, so a client cannot choose a backend and any fulcrum replica
// that shares the key honours the cookie without shared state. It holds no HTTP types:
// data paths read and write the cookie, this package only makes and checks its value.
//
// A value is "TOKEN.EXPIRY.MAC": TOKEN names the backend opaquely (see Token), EXPIRY is a
// Unix time in seconds or 0 for none, and MAC is the first 16 bytes of
// HMAC-SHA256(key, "TOKEN.EXPIRY"), base64url without padding.
package affinity

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"strconv"
	"strings"
	"time"

	"github.com/cespare/xxhash/v2"
)

// macSize is the number of MAC bytes kept; 128 bits is far beyond guessing.
const macSize = 16

// Codec signs with its first key and verifies with any of them, so a key can be rotated by
// adding the new one in front and dropping the old one after a TTL. It is immutable and
// safe for concurrent use.
type Codec struct {
	keys [][]byte
	ttl  time.Duration
}

// New returns a codec that signs with key, also accepts previous, and makes values that
// expire after ttl (0: never).
func New(key string, previous []string, ttl time.Duration) *Codec {
	c := &Codec{keys: [][]byte{[]byte(key)}, ttl: ttl}
	for _, k := range previous {
		c.keys = append(c.keys, []byte(k))
	}
	return c
}

// TTL is how long a signed value stays valid; 0 means it does not expire.
func (c *Codec) TTL() time.Duration { return c.ttl }

// Token names a backend address opaquely: the same address gives the same token on every
// replica, and the token does not reveal the address.
func Token(address string) string {
	return strconv.FormatUint(xxhash.Sum64String(address), 36)
}

// Sign returns a cookie value naming token, valid from now for the codec's TTL.
func (c *Codec) Sign(token string, now time.Time) string {
	var expiry int64
	if c.ttl > 0 {
		expiry = now.Add(c.ttl).Unix()
	}
	payload := token + "." + strconv.FormatInt(expiry, 10)
	return payload + "." + mac(c.keys[0], payload)
}

// Verify returns the token a value names when its MAC matches one of the keys and it has
// not expired at now; ok is false for anything else (tampered, expired, malformed).
func (c *Codec) Verify(value string, now time.Time) (token string, ok bool) {
	i := strings.LastIndexByte(value, '.')
	if i < 0 {
		return "", false
	}
	payload, sig := value[:i], value[i+1:]
	token, expiryText, found := strings.Cut(payload, ".")
	expiry, err := strconv.ParseInt(expiryText, 10, 64)
	if !found || err != nil || token == "" || (expiry != 0 && now.Unix() >= expiry) {
		return "", false
	}
	for _, key := range c.keys {
		if hmac.Equal([]byte(sig), []byte(mac(key, payload))) {
			return token, true
		}
	}
	return "", false
}

func mac(key []byte, payload string) string {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(payload))
	return base64.RawURLEncoding.EncodeToString(h.Sum(nil)[:macSize])
}
