package health_test

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/fulcrum-lb/fulcrum/backend"
	"github.com/fulcrum-lb/fulcrum/config"
	"github.com/fulcrum-lb/fulcrum/health"
)

func ExampleParseStatus() {
	accepts, err := health.ParseStatus([]string{"200", "301-302"})
	if err != nil {
		panic(err)
	}
	fmt.Println(accepts(200), accepts(302), accepts(404))
	_, err = health.ParseStatus([]string{"2xx"})
	fmt.Println(err)
	// Output:
	// true true false
	// health_check.expect_status "2xx": want a status (200) or a range (200-399) within 100-599
}

func ExampleOutlier() {
	members := []backend.Member{
		{State: backend.NewState("api", "10.0.0.1:80"), Weight: 1},
		{State: backend.NewState("api", "10.0.0.2:80"), Weight: 1},
	}
	o := health.NewOutlier(config.Outlier{
		ConsecutiveFailures: 3,
		BaseEjection:        config.Duration{Duration: 30 * time.Second},
		MaxEjectionPercent:  50,
	}, members, slog.New(slog.DiscardHandler))

	now := time.Unix(1000, 0)
	for range 3 {
		o.Report(0, false, now.UnixNano()) // e.g. a 502 from 10.0.0.1
	}
	fmt.Println(members[0].Available(now.UnixNano()), members[1].Available(now.UnixNano()))
	fmt.Println(time.Unix(0, members[0].EjectedUntil()).Sub(now))
	// Output:
	// false true
	// 30s
}
