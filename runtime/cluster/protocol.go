package cluster

// ProtocolType is the group protocol type every Connect worker joins with.
// A group holds members of one protocol type only, so a Connect group id
// must not be shared with Kafka consumers.
const ProtocolType = "connect"

// Values of Config.Protocol, Kafka Connect's connect.protocol setting.
const (
	// ProtocolEager offers only the "default" sub-protocol: every
	// rebalance stops all work and hands it out afresh.
	ProtocolEager = "eager"
	// ProtocolCompatible offers "compatible" and "default": incremental
	// cooperative rebalancing, falling back to eager while any member of
	// the group speaks only eager.
	ProtocolCompatible = "compatible"
	// ProtocolSessioned offers "sessioned", "compatible" and "default".
	// Conflux does not sign internal REST requests yet, so apart from
	// its name and version number it behaves like ProtocolCompatible.
	ProtocolSessioned = "sessioned"
)

// subprotocol is one entry of JoinGroup's protocol list: its name and the
// layout version of the metadata and assignments exchanged under it.
type subprotocol struct {
	name    string
	version int16
}

var (
	subDefault    = subprotocol{"default", VersionEager}
	subCompatible = subprotocol{"compatible", VersionCompatible}
	subSessioned  = subprotocol{"sessioned", VersionSessioned}
)

// offered returns the sub-protocols a worker with connect.protocol setting
// offers, most preferred first, or nil for an unknown setting.
func offered(setting string) []subprotocol {
	switch setting {
	case ProtocolEager:
		return []subprotocol{subDefault}
	case ProtocolCompatible:
		return []subprotocol{subCompatible, subDefault}
	case ProtocolSessioned:
		return []subprotocol{subSessioned, subCompatible, subDefault}
	}
	return nil
}

// subprotocolNamed returns the sub-protocol the coordinator chose by name.
func subprotocolNamed(name string) (subprotocol, bool) {
	for _, p := range []subprotocol{subSessioned, subCompatible, subDefault} {
		if p.name == name {
			return p, true
		}
	}
	return subprotocol{}, false
}

// eager reports whether p revokes everything on every rebalance.
func (p subprotocol) eager() bool { return p.version == VersionEager }
