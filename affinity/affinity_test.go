package affinity_test

import (
	"strings"
	"testing"
	"time"

	"github.com/fulcrum-lb/fulcrum/affinity"
)

const key = "0123456789abcdef-key"

func TestSignVerify(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	c := affinity.New(key, nil, time.Hour)
	token := affinity.Token("127.0.0.1:9001")
	value := c.Sign(token, now)
	if got, ok := c.Verify(value, now.Add(59*time.Minute)); !ok || got != token {
		t.Fatalf("Verify(fresh) = %q, %v; want %q, true", got, ok, token)
	}
	if strings.Contains(value, "127.0.0.1") {
		t.Errorf("cookie value %q reveals the backend address", value)
	}
	other := affinity.Token("127.0.0.1:9002")
	for name, v := range map[string]string{
		"expired":        value,
		"other token":    strings.Replace(value, token, other, 1),
		"longer expiry":  strings.Replace(value, ".", ".9", 1),
		"truncated mac":  value[:len(value)-1],
		"empty":          "",
		"no dots":        "abc",
		"other key":      affinity.New("another-key-of-16+", nil, time.Hour).Sign(token, now),
		"non-numeric ex": token + ".x." + strings.Split(value, ".")[2],
	} {
		at := now
		if name == "expired" {
			at = now.Add(time.Hour)
		}
		if got, ok := c.Verify(v, at); ok {
			t.Errorf("%s: Verify(%q) = %q, true; want rejected", name, v, got)
		}
	}
}

func TestKeyRotation(t *testing.T) {
	now := time.Now()
	old := affinity.New("old-key-0123456789", nil, 0)
	rotated := affinity.New("new-key-0123456789", []string{"old-key-0123456789"}, 0)
	token := affinity.Token("b:1")
	if _, ok := rotated.Verify(old.Sign(token, now), now.Add(1000*time.Hour)); !ok {
		t.Errorf("rotated codec rejected a value signed with the previous key")
	}
	if _, ok := old.Verify(rotated.Sign(token, now), now); ok {
		t.Errorf("old codec accepted a value signed with a key it does not have")
	}
}
