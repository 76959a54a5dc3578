package configs

// Worker configuration keys (Kafka's WorkerConfig and DistributedConfig).
const (
	KeyBootstrapServers              = "bootstrap.servers"
	KeyGroupID                       = "group.id"
	KeyGroupInstanceID               = "group.instance.id"
	KeyConfigStorageTopic            = "config.storage.topic"
	KeyOffsetStorageTopic            = "offset.storage.topic"
	KeyStatusStorageTopic            = "status.storage.topic"
	KeyConfigStorageReplication      = "config.storage.replication.factor"
	KeyOffsetStorageReplication      = "offset.storage.replication.factor"
	KeyStatusStorageReplication      = "status.storage.replication.factor"
	KeyOffsetStoragePartitions       = "offset.storage.partitions"
	KeyStatusStoragePartitions       = "status.storage.partitions"
	KeyOffsetFlushInterval           = "offset.flush.interval.ms"
	KeyOffsetFlushTimeout            = "offset.flush.timeout.ms"
	KeyListeners                     = "listeners"
	KeyAdminListeners                = "admin.listeners"
	KeyRestAdvertisedHostName        = "rest.advertised.host.name"
	KeyRestAdvertisedPort            = "rest.advertised.port"
	KeyRestAdvertisedListener        = "rest.advertised.listener"
	KeyRestUIEnable                  = "rest.ui.enable"
	KeySessionTimeout                = "session.timeout.ms"
	KeyHeartbeatInterval             = "heartbeat.interval.ms"
	KeyRebalanceTimeout              = "rebalance.timeout.ms"
	KeyScheduledRebalanceMaxDelay    = "scheduled.rebalance.max.delay.ms"
	KeyConnectProtocol               = "connect.protocol"
	KeyConfigProviders               = "config.providers"
	KeyTaskShutdownGracefulTimeout   = "task.shutdown.graceful.timeout.ms"
	KeyPluginPath                    = "plugin.path"
	KeyTopicCreationEnable           = "topic.creation.enable"
	KeyTopicTrackingEnable           = "topic.tracking.enable"
	KeyTopicTrackingAllowReset       = "topic.tracking.allow.reset"
	KeyConnectorClientOverridePolicy = "connector.client.config.override.policy"
	KeyInterWorkerKeyAlgorithm       = "inter.worker.key.generation.algorithm"
	KeyInterWorkerKeySize            = "inter.worker.key.size"
	KeyInterWorkerKeyTTL             = "inter.worker.key.ttl.ms"
	KeyInterWorkerSignatureAlgorithm = "inter.worker.signature.algorithm"
	KeyInterWorkerVerificationAlgos  = "inter.worker.verification.algorithms"
)

// HMAC algorithms workers may sign internal requests with, by their Java
// names.
const (
	HmacSHA1   = "HmacSHA1"
	HmacSHA256 = "HmacSHA256"
	HmacSHA384 = "HmacSHA384"
	HmacSHA512 = "HmacSHA512"
)

// Values of connect.protocol.
const (
	ProtocolEager      = "eager"
	ProtocolCompatible = "compatible"
	ProtocolSessioned  = "sessioned"
)

// DefaultHeaderConverter is the worker's default header.converter, as in
// Kafka.
const DefaultHeaderConverter = "org.apache.kafka.connect.storage.SimpleHeaderConverter"

// positiveOrDefault accepts a value of at least 1, or -1 for "the broker's
// default", as Kafka does for internal topics' partitions and replication.
func positiveOrDefault(what string) Validator {
	return ValidatorFunc(func(name string, value any) error {
		_, n, _, _ := numberOf(value)
		if n >= 1 || n == -1 {
			return nil
		}
		return Invalid(name, value, what+" must be positive, or -1 to use the broker's default")
	})
}

// WorkerDef returns the worker's keys, with Kafka's names and defaults:
// Kafka cluster, group membership, internal topics, offset flushing,
// converters, REST listeners, the web console and config providers. group.id, the three
// storage topics and the key and value converters are required, as in a
// Kafka Connect distributed worker; a standalone launcher fills them in
// before parsing. Keys it does not define (producer.*, consumer.*,
// key.converter.schemas.enable, config.providers.<alias>.class …) pass
// through Parse untouched in [Values.Originals]. plugin.path is accepted and
// ignored. Each call returns a new Def.
func WorkerDef() *Def {
	return NewDef().
		Define(Key{Name: KeyBootstrapServers, Type: TypeList, Default: "localhost:9092", Importance: High,
			Documentation: "host:port pairs of Kafka brokers to connect to first; the rest of the cluster is discovered from them."}).
		Define(Key{Name: KeyGroupID, Type: TypeString, Default: NoDefault, Importance: High, Validator: NonEmptyString(),
			Documentation: "Name of the Connect cluster this worker belongs to: the Kafka group its workers join."}).
		Define(Key{Name: KeyConfigStorageTopic, Type: TypeString, Default: NoDefault, Importance: High, Validator: NonEmptyString(),
			Documentation: "Compacted topic holding connector and task configs; always one partition."}).
		Define(Key{Name: KeyOffsetStorageTopic, Type: TypeString, Default: NoDefault, Importance: High, Validator: NonEmptyString(),
			Documentation: "Compacted topic holding source connectors' offsets."}).
		Define(Key{Name: KeyStatusStorageTopic, Type: TypeString, Default: NoDefault, Importance: High, Validator: NonEmptyString(),
			Documentation: "Compacted topic holding connector and task statuses."}).
		Define(Key{Name: KeyConfigStorageReplication, Type: TypeShort, Default: 3, Importance: Low, Validator: positiveOrDefault("Replication factor"),
			Documentation: "Replication factor of the config topic when the worker creates it; -1 uses the broker's default."}).
		Define(Key{Name: KeyOffsetStorageReplication, Type: TypeShort, Default: 3, Importance: Low, Validator: positiveOrDefault("Replication factor"),
			Documentation: "Replication factor of the offsets topic when the worker creates it; -1 uses the broker's default."}).
		Define(Key{Name: KeyStatusStorageReplication, Type: TypeShort, Default: 3, Importance: Low, Validator: positiveOrDefault("Replication factor"),
			Documentation: "Replication factor of the status topic when the worker creates it; -1 uses the broker's default."}).
		Define(Key{Name: KeyOffsetStoragePartitions, Type: TypeInt, Default: 25, Importance: Low, Validator: positiveOrDefault("Number of partitions"),
			Documentation: "Partitions of the offsets topic when the worker creates it; -1 uses the broker's default."}).
		Define(Key{Name: KeyStatusStoragePartitions, Type: TypeInt, Default: 5, Importance: Low, Validator: positiveOrDefault("Number of partitions"),
			Documentation: "Partitions of the status topic when the worker creates it; -1 uses the broker's default."}).
		Define(Key{Name: KeyOffsetFlushInterval, Type: TypeLong, Default: 60000, Importance: Low, Validator: AtLeast(0),
			Documentation: "Milliseconds between two flushes of source offsets to the offsets topic."}).
		Define(Key{Name: KeyOffsetFlushTimeout, Type: TypeLong, Default: 5000, Importance: Low, Validator: AtLeast(0),
			Documentation: "Milliseconds to wait for the records of an offset flush to be acknowledged before giving up on that flush."}).
		Define(Key{Name: KeyKeyConverter, Type: TypeClass, Default: NoDefault, Importance: High,
			Documentation: "Default converter of record keys for connectors that do not set their own; settings use the key.converter. prefix."}).
		Define(Key{Name: KeyValueConverter, Type: TypeClass, Default: NoDefault, Importance: High,
			Documentation: "Default converter of record values for connectors that do not set their own; settings use the value.converter. prefix."}).
		Define(Key{Name: KeyHeaderConverter, Type: TypeClass, Default: DefaultHeaderConverter, Importance: Low,
			Documentation: "Default converter of header values; settings use the header.converter. prefix."}).
		Define(Key{Name: KeyListeners, Type: TypeList, Default: "http://:8083", Importance: Low,
			Documentation: "URLs the REST API listens on, such as http://:8083 or http://127.0.0.1:8083; an empty host means every interface."}).
		Define(Key{Name: KeyAdminListeners, Type: TypeList, Importance: Low,
			Documentation: "URLs for the /admin endpoints; null serves them on the main listeners, an empty list disables them."}).
		Define(Key{Name: KeyRestAdvertisedHostName, Type: TypeString, Importance: Low,
			Documentation: "Host name other workers use to reach this one; null means the listener's host or this machine's name."}).
		Define(Key{Name: KeyRestAdvertisedPort, Type: TypeInt, Importance: Low,
			Documentation: "Port other workers use to reach this one; null means the listener's port."}).
		Define(Key{Name: KeyRestAdvertisedListener, Type: TypeString, Importance: Low, Validator: ValidString("http", "https"),
			Documentation: "Scheme other workers use to reach this one: http or https."}).
		Define(Key{Name: KeyRestUIEnable, Type: TypeBoolean, Default: true, Importance: Low,
			Documentation: "Whether the REST listener serves the web console at /ui."}).
		Define(Key{Name: KeySessionTimeout, Type: TypeInt, Default: 10000, Importance: High, Validator: AtLeast(1),
			Documentation: "Milliseconds without heartbeats after which the group coordinator removes a worker from the group."}).
		Define(Key{Name: KeyHeartbeatInterval, Type: TypeInt, Default: 3000, Importance: High, Validator: AtLeast(1),
			Documentation: "Milliseconds between heartbeats to the group coordinator; keep it below a third of session.timeout.ms."}).
		Define(Key{Name: KeyRebalanceTimeout, Type: TypeInt, Default: 60000, Importance: High, Validator: AtLeast(1),
			Documentation: "Milliseconds each worker has to rejoin the group during a rebalance."}).
		Define(Key{Name: KeyGroupInstanceID, Type: TypeString, Importance: Low,
			Documentation: "Static membership (KIP-345): an id unique to this worker and stable across its restarts, such as its host name. A worker restarted with it takes its own place in the group at once and gets its connectors and tasks back, instead of waiting for its old session to time out. Null means a dynamic member."}).
		Define(Key{Name: KeyScheduledRebalanceMaxDelay, Type: TypeInt, Default: 300000, Importance: Low, Validator: AtLeast(0),
			Documentation: "Milliseconds a departed worker's connectors and tasks stay unassigned, waiting for it to come back, before they are spread over the other workers; 0 reassigns at once."}).
		Define(Key{Name: KeyConnectProtocol, Type: TypeString, Default: ProtocolSessioned, Importance: Low,
			Validator:     ValidStringIgnoreCase(ProtocolEager, ProtocolCompatible, ProtocolSessioned),
			Documentation: "Group protocol: eager (stop everything on each rebalance), compatible (incremental) or sessioned (incremental, with signed internal requests)."}).
		Define(Key{Name: KeyConfigProviders, Type: TypeList, Default: "", Importance: Low,
			Documentation: "Aliases of config providers, each configured by config.providers.<alias>.class (env, file or their Kafka class names) and config.providers.<alias>.param.*."}).
		Define(Key{Name: KeyTaskShutdownGracefulTimeout, Type: TypeLong, Default: 5000, Importance: Low, Validator: AtLeast(0),
			Documentation: "Milliseconds to wait for tasks to stop gracefully before they are abandoned."}).
		Define(Key{Name: KeyPluginPath, Type: TypeList, Importance: Low,
			Documentation: "Accepted for compatibility with Kafka Connect worker files and ignored: Conflux's plugins are compiled in."}).
		Define(Key{Name: KeyTopicCreationEnable, Type: TypeBoolean, Default: true, Importance: Low,
			Documentation: "Whether source connectors may create their topics with topic.creation.* settings."}).
		Define(Key{Name: KeyTopicTrackingEnable, Type: TypeBoolean, Default: true, Importance: Low,
			Documentation: "Whether the topics each connector uses are recorded in the status topic."}).
		Define(Key{Name: KeyTopicTrackingAllowReset, Type: TypeBoolean, Default: true, Importance: Low,
			Documentation: "Whether the recorded topics of a connector may be reset through the REST API."}).
		Define(Key{Name: KeyConnectorClientOverridePolicy, Type: TypeString, Default: "All", Importance: Medium,
			Validator:     ValidString("All", "None", "Principal"),
			Documentation: "Which producer.override.*, consumer.override.* and admin.override.* settings connectors may use: All, None, or only the principal (Principal)."}).
		Define(Key{Name: KeyInterWorkerKeyAlgorithm, Type: TypeString, Default: HmacSHA256, Importance: Low,
			Validator:     ValidString(HmacSHA1, HmacSHA256, HmacSHA384, HmacSHA512),
			Documentation: "Algorithm the leader generates session keys for; with connect.protocol=sessioned, workers sign the task configs they send the leader with that key."}).
		Define(Key{Name: KeyInterWorkerKeySize, Type: TypeInt, Importance: Low, Validator: Between(1, 1<<16),
			Documentation: "Size of generated session keys in bits, a multiple of 8; null uses the algorithm's own size (256 bits for HmacSHA256)."}).
		Define(Key{Name: KeyInterWorkerKeyTTL, Type: TypeInt, Default: 3600000, Importance: Low, Validator: AtLeast(1),
			Documentation: "Milliseconds a session key is used before the leader replaces it."}).
		Define(Key{Name: KeyInterWorkerSignatureAlgorithm, Type: TypeString, Default: HmacSHA256, Importance: Low,
			Validator:     ValidString(HmacSHA1, HmacSHA256, HmacSHA384, HmacSHA512),
			Documentation: "Algorithm this worker signs its internal requests with."}).
		Define(Key{Name: KeyInterWorkerVerificationAlgos, Type: TypeList, Default: HmacSHA256, Importance: Low,
			Validator:     All(NonEmptyList(), ValidList(HmacSHA1, HmacSHA256, HmacSHA384, HmacSHA512)),
			Documentation: "Algorithms this worker accepts on the internal requests it receives; it must include inter.worker.signature.algorithm."})
}
