package group

import (
	"testing"
	"time"
)

// FuzzGroup drives a group with an arbitrary sequence of requests and clock
// steps from up to four clients, checking the invariants after every step
// and, at the end, that once the clients fall silent every request the
// group parked is answered.
func FuzzGroup(f *testing.F) {
	f.Add([]byte{0, 0, 1, 0, 9, 2, 0, 3, 1, 9, 9})
	f.Add([]byte{0, 1, 0, 2, 0, 3, 9, 1, 1, 1, 2, 2, 3, 2, 1, 4, 0, 9, 5, 1, 9})
	f.Add([]byte{6, 0, 6, 1, 9, 7, 0, 0, 0, 9, 8, 1, 2, 1, 3, 2, 9, 9, 9})
	f.Add([]byte{0, 0, 0, 1, 9, 1, 0, 1, 1, 9, 4, 0, 4, 1, 9, 2, 0, 2, 1, 5, 0, 9, 9})
	f.Fuzz(func(t *testing.T, ops []byte) {
		cfg := testConfig()
		cfg.MaxSize = 3
		h := newHarness(t, cfg)
		type client struct {
			id, instance string
			gen          int32
			joinTok      Token
			meta         byte
		}
		clients := make([]client, 4)
		for i := range clients {
			if i >= 2 {
				clients[i].instance = string(rune('a' + i))
			}
		}
		issued := []Token{}
		for i := 0; i+1 < len(ops); i += 2 {
			c := &clients[int(ops[i+1])%len(clients)]
			req := consumer(c.id)
			req.InstanceID = c.instance
			req.RequireKnownMemberID = ops[i+1]&4 != 0
			req.Protocols = []Protocol{{"range", []byte{c.meta}}}
			// Learn the member id and generation from answers so far.
			if r, ok := h.joins[c.joinTok]; ok && c.joinTok != 0 {
				if r.MemberID != "" {
					c.id = r.MemberID
				}
				if r.Err == nil {
					c.gen = r.Generation
				}
			}
			switch ops[i] % 10 {
			case 0: // join with what the client knows
				c.joinTok = h.join(req)
				issued = append(issued, c.joinTok)
			case 1: // sync, assigning as leader if it is one
				var assign []Assignment
				for _, o := range clients {
					assign = append(assign, Assignment{o.id, []byte("x")})
				}
				issued = append(issued, h.sync(SyncRequest{MemberID: c.id, InstanceID: c.instance, Generation: c.gen, Assignments: assign}))
			case 2:
				h.g.Heartbeat(h.now, HeartbeatRequest{MemberID: c.id, InstanceID: c.instance, Generation: c.gen})
				h.check()
			case 3:
				h.leave(LeaveMember{MemberID: c.id, InstanceID: c.instance})
			case 4:
				h.commit(CommitRequest{MemberID: c.id, InstanceID: c.instance, Generation: c.gen,
					Offsets: []OffsetCommit{offset("t", int32(ops[i+1]), 1)}})
			case 5: // restart: forget the member id
				c.id, c.gen = "", -1
			case 6: // change the subscription
				c.meta++
			case 7:
				h.record(h.g.ExpireOffsets(h.now))
				if h.g.State() == Dead {
					h.g = New("g", cfg, h.now)
				}
			case 8:
				if acts, err := h.g.Delete(h.now); err == nil {
					h.record(acts)
					h.g = New("g", cfg, h.now) // the broker drops a Dead group
				}
			case 9:
				h.advance(time.Duration(ops[i+1]) * 250 * time.Millisecond)
			}
		}
		h.advance(time.Hour)
		for _, tok := range issued {
			_, j := h.joins[tok]
			_, s := h.syncs[tok]
			if !j && !s {
				t.Fatalf("request %d never answered (group %v, %d members)", tok, h.g.State(), h.g.Size())
			}
		}
	})
}
