package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// uiWait bounds each wait for the browser to show something.
const uiWait = 60 * time.Second

// TestWebConsoleInChromium drives the web console of a `conflux standalone`
// in headless Chromium as a user would: create a datagen connector through
// the form (after seeing a bad value's field error), watch it run and its
// throughput plot draw, pause it and watch the rate fall to zero, then
// visit every page. Screenshots of each page go to $CONFLUX_TEST_ARTIFACTS
// (default: a conflux-ui-screenshots folder in the temp dir).
func TestWebConsoleInChromium(t *testing.T) {
	browser := chromiumPath()
	if browser == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("chromium is not installed; .ci/run installs Debian's chromium package")
		}
		t.Skip("chromium is not installed (apt-get install chromium)")
	}
	shots := os.Getenv("CONFLUX_TEST_ARTIFACTS")
	if shots == "" {
		shots = filepath.Join(os.TempDir(), "conflux-ui-screenshots")
	}
	if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}

	bin := buildConflux(t)
	dir := t.TempDir()
	node := startStandalone(t, bin, freeAddr(t), "--listen", freeAddr(t), "--data-dir", filepath.Join(dir, "data"),
		"--log-level", "warn")
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("stderr of conflux standalone:\n%s", node.stderr.String())
		}
	})

	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(browser), chromedp.NoSandbox,
		chromedp.WindowSize(1400, 1000), chromedp.Flag("disable-dev-shm-usage", true))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	bctx, cancelBrowser := chromedp.NewContext(actx, chromedp.WithLogf(t.Logf))
	defer cancelBrowser()
	ctx, cancel := context.WithTimeout(bctx, 5*time.Minute)
	defer cancel()

	run := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, steps...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	var shot func(name string)
	// until waits for a JavaScript expression to be true; on a timeout it
	// saves what the page showed.
	until := func(what, expr string) {
		t.Helper()
		err := chromedp.Do(ctx, chromedp.Poll[chromedp.Void](expr, chromedp.WithPollingTimeout(uiWait),
			chromedp.WithPollingInterval(100*time.Millisecond)))
		if err != nil {
			shot("failed")
			t.Fatalf("wait for %s: %v", what, err)
		}
	}
	shot = func(name string) {
		t.Helper()
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatalf("screenshot %s: %v", name, err)
		}
		path := filepath.Join(shots, name+".png")
		if err := os.WriteFile(path, png, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("screenshot: %s", path)
	}
	const datagen = "io.confluent.kafka.connect.datagen.DatagenConnector"

	// The form: pick the plugin, fill the fields, see a bad value's error.
	run("open the editor", chromedp.Navigate(node.base+"/ui/#/new"), chromedp.WaitVisible(chromedp.ID("plugin")))
	run("choose datagen", chromedp.SetValue(chromedp.ID("plugin"), datagen),
		chromedp.Evaluate[chromedp.Void](`document.getElementById('plugin').dispatchEvent(new Event('change'))`))
	run("fill the form", chromedp.WaitVisible(chromedp.ID("f-name")),
		chromedp.SendKeys(chromedp.ID("f-name"), "ui-gen"),
		chromedp.SendKeys(chromedp.ID("f-kafka_topic"), "ui-users"),
		chromedp.SendKeys(chromedp.ID("f-quickstart"), "users"),
		chromedp.SendKeys(chromedp.ID("f-rate"), "fast"))
	until("the rate field's error", `(document.querySelector('.field[data-key="rate"].invalid .errors')?.textContent || '').length > 0`)
	rateError, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`.field[data-key="rate"] .errors`)))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("rate=fast: %s", rateError)
	shot("editor-field-error")

	run("fix the rate", chromedp.Evaluate[chromedp.Void](`(f => { f.value = ''; f.dispatchEvent(new Event('input')); })(document.getElementById('f-rate'))`),
		chromedp.SendKeys(chromedp.ID("f-rate"), "300"))
	until("the form to be valid", `document.getElementById('validation-status').classList.contains('ok') && !document.querySelector('.field.invalid')`)
	run("create the connector", chromedp.Click(chromedp.ID("submit")))

	// The connector's page: RUNNING, and the plot draws non-zero points.
	until("the connector page", `location.hash === '#/connectors/ui-gen'`)
	until("RUNNING", `document.getElementById('connector-state')?.textContent === 'RUNNING'`)
	until("the records-out plot to draw non-zero points", `Number(document.getElementById('plot-out')?.dataset.nonzero) >= 3`)
	shot("connector-running")

	// The list: pause from there and watch the rate fall to zero.
	run("open the connectors page", chromedp.Navigate(node.base+"/ui/#/connectors"))
	until("the connector's row", `document.querySelector('tr[data-connector="ui-gen"] .badge')?.textContent === 'RUNNING'`)
	until("the records plot to draw non-zero points", `Number(document.getElementById('plot-records')?.dataset.last) > 0`)
	shot("connectors-running")
	run("pause", chromedp.Click(chromedp.CSS(`button[data-action="pause"][data-connector="ui-gen"]`)))
	until("PAUSED", `document.querySelector('tr[data-connector="ui-gen"] .badge')?.textContent === 'PAUSED'`)
	until("the rate to fall to zero", `document.getElementById('plot-records')?.dataset.last === '0'`)
	shot("connectors-paused")

	// The other pages show what they are for.
	run("open the topics page", chromedp.Navigate(node.base+"/ui/#/topics"))
	until("the topic in the list", `document.getElementById('main').textContent.includes('ui-users')`)
	shot("topics")
	run("open the topic", chromedp.Navigate(node.base+"/ui/#/topics/ui-users"))
	until("the topic's newest records", `document.getElementById('main').textContent.includes('userid')`)
	shot("topic-records")
	run("open the cluster page", chromedp.Navigate(node.base+"/ui/#/cluster"))
	until("this worker as leader", `document.getElementById('main').textContent.includes('leader')`)
	shot("cluster")
}

// chromiumPath returns the Chromium (or Chrome) executable, or "".
func chromiumPath() string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "headless-shell"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}
