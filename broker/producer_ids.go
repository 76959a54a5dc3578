package broker

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
)

// producerIDBlock is how many producer ids are reserved per write of the
// producer-id file, so allocation rarely touches the disk.
const producerIDBlock = 1000

// producerIDs hands out idempotent producer ids that are never reused, even
// across restarts: the file holds the end of the reserved block, and a
// restart continues after it.
type producerIDs struct {
	path string

	mu       sync.Mutex
	next     int64
	reserved int64
}

func openProducerIDs(path string) (*producerIDs, error) {
	p := &producerIDs{path: path}
	data, err := os.ReadFile(path)
	switch {
	case err == nil:
		n, perr := strconv.ParseInt(strings.TrimSpace(string(data)), 10, 64)
		if perr != nil || n < 0 {
			return nil, fmt.Errorf("%s is corrupt: %q", path, data)
		}
		p.next, p.reserved = n, n
	case errors.Is(err, os.ErrNotExist):
	default:
		return nil, err
	}
	return p, nil
}

// allocate returns a fresh producer id.
func (p *producerIDs) allocate() (int64, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.next >= p.reserved {
		end := p.next + producerIDBlock
		if err := writeFileAtomic(p.path, []byte(strconv.FormatInt(end, 10))); err != nil {
			return 0, fmt.Errorf("reserve producer ids: %w", err)
		}
		p.reserved = end
	}
	id := p.next
	p.next++
	return id, nil
}
