package console_test

import (
	"log"
	"os"

	"github.com/IBM/sarama"
)

// init routes sarama's log to stderr when SARAMA_LOG is set, to debug
// integration tests.
func init() {
	if os.Getenv("SARAMA_LOG") != "" {
		sarama.Logger = log.New(os.Stderr, "[sarama] ", log.Lmicroseconds)
	}
}
