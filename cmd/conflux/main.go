// Command conflux is Conflux's single binary: a Kafka-protocol broker, Kafka
// Connect-style workers, and console tools that speak the Kafka protocol.
package main

import (
	"fmt"
	"os"
)

func main() {
	if err := newRootCommand().Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}
