package admin_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/fulcrum-lb/fulcrum/backend"
)

const chromiumPath = "/usr/bin/chromium"

// newBrowser starts headless Debian chromium; it skips the test only when chromium is absent.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Skipf("%s not installed: %v", chromiumPath, err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chromiumPath),
		chromedp.NoSandbox, chromedp.DisableGPU, chromedp.WindowSize(1400, 900),
		chromedp.UserDataDir(t.TempDir()))
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(alloc)
	ctx, cancelTimeout := context.WithTimeout(ctx, 40*time.Second)
	t.Cleanup(func() { cancelTimeout(); cancelCtx(); cancelAlloc() })
	return ctx
}

// load sends requests through listener web from a few goroutines until ctx ends.
func (f *fixture) load(ctx context.Context) *sync.WaitGroup {
	url := "http://" + f.srv.Addr("web").String() + "/"
	var wg sync.WaitGroup
	for range 3 {
		wg.Go(func() {
			for ctx.Err() == nil {
				if resp, err := http.Get(url); err == nil {
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
				time.Sleep(5 * time.Millisecond)
			}
		})
	}
	return &wg
}

// rowText returns a cell's text in the dashboard row of backend addr.
func rowText(ctx context.Context, addr, cell string) (string, error) {
	return chromedp.Run(ctx, chromedp.Evaluate[string](fmt.Sprintf(
		`(document.querySelector('tr[data-backend="%s"] td.%s') || {}).textContent || ""`, addr, cell)))
}

// waitFor polls cond every 200ms until it holds or ctx ends.
func waitFor(ctx context.Context, what string, cond func() (bool, error)) error {
	for {
		ok, err := cond()
		if err != nil || ok {
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for %s: %w", what, ctx.Err())
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// TestDashboardShowsLiveTrafficAndDrains loads the dashboard while traffic flows, sees
// every backend's request rate move, clicks Drain on one and sees it drain.
func TestDashboardShowsLiveTrafficAndDrains(t *testing.T) {
	f := newFixture(t)
	ctx := newBrowser(t)
	loadCtx, stopLoad := context.WithCancel(context.Background())
	wg := f.load(loadCtx)
	defer wg.Wait()
	defer stopLoad()

	if err := chromedp.Do(ctx, chromedp.Navigate(f.api.URL+"/"), chromedp.WaitVisible(`tr[data-backend]`)); err != nil {
		t.Fatalf("loading the dashboard: %v", err)
	}
	names := []string{"alpha", "bravo", "charlie"}
	first := map[string]string{}
	for _, name := range names {
		addr := f.addr(name)
		err := waitFor(ctx, name+"'s request rate", func() (bool, error) {
			text, err := rowText(ctx, addr, "rps")
			rate, _ := strconv.ParseFloat(text, 64)
			first[name] = text
			return rate > 0, err
		})
		if err != nil {
			t.Fatalf("backend %s: %v (got %q, want a rate above 0)", name, err, first[name])
		}
	}
	for _, name := range names {
		addr := f.addr(name)
		var now string
		err := waitFor(ctx, name+"'s numbers to change", func() (bool, error) {
			var err error
			now, err = rowText(ctx, addr, "rps")
			return now != first[name], err
		})
		if err != nil {
			t.Errorf("backend %s: rate stayed %q: %v", name, now, err)
		}
	}

	charlie := f.addr("charlie")
	if err := chromedp.Do(ctx, chromedp.Click(fmt.Sprintf(`tr[data-backend="%s"] button[data-action="drain"]`, charlie))); err != nil {
		t.Fatalf("clicking drain: %v", err)
	}
	var state, rate string
	err := waitFor(ctx, "charlie to drain", func() (bool, error) {
		var err error
		if state, err = rowText(ctx, charlie, "state"); err != nil {
			return false, err
		}
		rate, err = rowText(ctx, charlie, "rps")
		return state == "drained" && rate == "0.0", err
	})
	if err != nil {
		t.Errorf("after clicking drain: got state %q rate %q, want drained at 0.0: %v", state, rate, err)
	}
	m, _ := f.srv.Runtime().Registry().Lookup("app", charlie)
	if got := m.AdminState(); got != backend.Drain {
		t.Errorf("charlie's admin state: got %d, want %d (drain)", got, backend.Drain)
	}
	if path := os.Getenv("FULCRUM_DASHBOARD_SCREENSHOT"); path != "" {
		screenshot(t, ctx, path)
	}
}

// screenshot saves the page as PNG (set FULCRUM_DASHBOARD_SCREENSHOT to refresh docs/).
func screenshot(t *testing.T, ctx context.Context, path string) {
	if err := chromedp.Do(ctx, chromedp.Sleep(3*time.Second)); err != nil {
		t.Fatal(err)
	}
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
}
