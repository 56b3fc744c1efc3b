//go:build !race

package h1proxy

const raceEnabled = false
