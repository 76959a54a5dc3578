// Package resttest holds the REST API's contract suite and what it needs:
// [RunContract], which checks the whole Kafka Connect REST API served over
// real HTTP against golden files; the contract plugins of [NewRegistry];
// and [MemHerder], an in-memory runtime.Herder.
//
// MemHerder is a stand-in until the worker exists: it lets the REST API be
// developed and tested on its own, and it defines, through the golden
// files it produced, what the worker must answer. The worker's tests run
// the same suite:
//
//	func TestRESTContract(t *testing.T) {
//		resttest.RunContract(t, func(t *testing.T) runtime.Herder {
//			return startWorker(t, resttest.NewRegistry()) // the worker under test
//		})
//	}
//
// The one thing to know: the golden files are Kafka Connect's contract, not
// a snapshot of whatever the code does. Rewrite them (go test
// ./runtime/rest -update) only against MemHerder, and only after checking
// the change against Kafka Connect's behaviour.
package resttest
