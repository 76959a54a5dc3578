package node

import (
	"io"
	"net/http"
	"testing"
)

// BenchmarkWebConsolePageLoad loads the console as a browser with an empty
// cache does: the page and every file it names, gzipped, over new loopback
// connections (six at a time, a browser's limit per host). It reports the
// bytes on the wire; ns/op is the time of one full load.
//
//	go test ./internal/node -run '^$' -bench WebConsolePageLoad
func BenchmarkWebConsolePageLoad(b *testing.B) {
	base := startStandalone(b, b.TempDir())
	_, page := fetch(b, http.MethodGet, base+"/ui", nil)
	paths := append([]string{"/ui"}, referencedAssets(b, base, page)...)
	var wire int64
	for b.Loop() {
		client := &http.Client{Transport: &http.Transport{MaxConnsPerHost: 6, DisableCompression: true}}
		wire = 0
		sizes := make(chan int64, len(paths))
		for _, p := range paths {
			go func() {
				req, _ := http.NewRequest(http.MethodGet, base+p, nil)
				req.Header.Set("Accept-Encoding", "gzip")
				resp, err := client.Do(req)
				if err != nil {
					b.Error(err)
					sizes <- 0
					return
				}
				n, _ := io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					b.Errorf("GET %s: %s", p, resp.Status)
				}
				sizes <- n
			}()
		}
		for range paths {
			wire += <-sizes
		}
		client.CloseIdleConnections()
	}
	b.ReportMetric(float64(wire)/1024, "gzip-KiB/load")
	b.ReportMetric(float64(len(paths)), "files")
}
