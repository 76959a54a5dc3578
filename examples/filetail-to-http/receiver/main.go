// Command receiver is the example's HTTP endpoint: it prints every request
// it gets (method, path, number of lines and the body) and accepts it, or
// answers 429 with Retry-After for a while after it reads a line holding
// "slow down", to show the sink's rate-limit handling.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"sync"
	"time"
)

func main() {
	addr := flag.String("listen", "127.0.0.1:8090", "address to listen on")
	flag.Parse()
	var mu sync.Mutex
	var limitedUntil time.Time
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		mu.Lock()
		defer mu.Unlock()
		if time.Now().Before(limitedUntil) {
			w.Header().Set("Retry-After", "2")
			w.WriteHeader(http.StatusTooManyRequests)
			fmt.Printf("%s %s → 429 (rate limited)\n", r.Method, r.URL.Path)
			return
		}
		if bytes.Contains(body, []byte("slow down")) {
			limitedUntil = time.Now().Add(5 * time.Second)
		}
		fmt.Printf("%s %s (%d lines)\n%s\n", r.Method, r.URL.Path, bytes.Count(body, []byte{'\n'}), body)
	})
	log.Printf("listening on http://%s", *addr)
	log.Fatal(http.ListenAndServe(*addr, nil))
}
