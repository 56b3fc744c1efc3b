package balance_test

import (
	"fmt"

	"github.com/fulcrum-lb/fulcrum/backend"
	"github.com/fulcrum-lb/fulcrum/balance"
)

// Smooth weighted round robin spreads a heavy member's turns out instead of bunching them.
func ExampleNew() {
	members := []backend.Member{
		{State: backend.NewState("web", "127.0.0.1:8081"), Weight: 5},
		{State: backend.NewState("web", "127.0.0.1:8082"), Weight: 1},
		{State: backend.NewState("web", "127.0.0.1:8083"), Weight: 1},
	}
	picker, err := balance.New(balance.Options{Algorithm: balance.RoundRobin}, members)
	if err != nil {
		fmt.Println(err)
		return
	}
	for range 7 {
		fmt.Print(members[picker.Pick(&balance.Request{})].Address[len("127.0.0.1:"):], " ")
	}
	fmt.Println()
	// Output: 8081 8081 8082 8081 8083 8081 8081
}
