package h1proxy

import "testing"

func TestMemoBuildsOncePerKeyAndStaysBounded(t *testing.T) {
	var m memo[int, int]
	builds := 0
	square := func(k int) int { builds++; return k * k }
	for range 3 {
		if got := m.get(7, square); got != 49 {
			t.Fatalf("get(7) = %d", got)
		}
	}
	if builds != 1 {
		t.Fatalf("built %d times, want once", builds)
	}
	for k := range memoLimit + 10 {
		m.get(k+100, square)
	}
	if n := len(*m.m.Load()); n > memoLimit {
		t.Fatalf("memo holds %d entries, more than %d", n, memoLimit)
	}
}
