package configs

import (
	"fmt"
	"regexp"
	"strings"
)

// Connector-level configuration keys (Kafka's ConnectorConfig,
// SinkConnectorConfig and SourceConnectorConfig).
const (
	KeyName                        = "name"
	KeyConnectorClass              = "connector.class"
	KeyTasksMax                    = "tasks.max"
	KeyKeyConverter                = "key.converter"
	KeyValueConverter              = "value.converter"
	KeyHeaderConverter             = "header.converter"
	KeyTransforms                  = "transforms"
	KeyPredicates                  = "predicates"
	KeyConfigActionReload          = "config.action.reload"
	KeyErrorsRetryTimeout          = "errors.retry.timeout"
	KeyErrorsRetryDelayMax         = "errors.retry.delay.max.ms"
	KeyErrorsTolerance             = "errors.tolerance"
	KeyErrorsLogEnable             = "errors.log.enable"
	KeyErrorsLogIncludeMessages    = "errors.log.include.messages"
	KeyTopics                      = "topics"
	KeyTopicsRegex                 = "topics.regex"
	KeyDLQTopicName                = "errors.deadletterqueue.topic.name"
	KeyDLQTopicReplicationFactor   = "errors.deadletterqueue.topic.replication.factor"
	KeyDLQContextHeadersEnable     = "errors.deadletterqueue.context.headers.enable"
	KeyTopicCreationGroups         = "topic.creation.groups"
	KeyExactlyOnceSupport          = "exactly.once.support"
	KeyTransactionBoundary         = "transaction.boundary"
	KeyTransactionBoundaryInterval = "transaction.boundary.interval.ms"
	KeyOffsetsStorageTopic         = "offsets.storage.topic"
)

// Prefixes of the per-alias and per-plugin settings in a connector config;
// pass them to [WithPrefix].
const (
	PrefixTransforms      = "transforms."
	PrefixPredicates      = "predicates."
	PrefixTopicCreation   = "topic.creation."
	PrefixKeyConverter    = "key.converter."
	PrefixValueConverter  = "value.converter."
	PrefixHeaderConverter = "header.converter."
)

// Values of the enumerated connector-level keys.
const (
	ReloadRestart        = "restart"   // config.action.reload
	ReloadNone           = "none"      // config.action.reload
	ToleranceNone        = "none"      // errors.tolerance
	ToleranceAll         = "all"       // errors.tolerance
	ExactlyOnceRequested = "requested" // exactly.once.support
	ExactlyOnceRequired  = "required"  // exactly.once.support
	BoundaryPoll         = "poll"      // transaction.boundary
	BoundaryInterval     = "interval"  // transaction.boundary
	BoundaryConnector    = "connector" // transaction.boundary
)

// Group names of the connector-level keys, in Kafka Connect's words.
const (
	GroupCommon             = "Common"
	GroupTransforms         = "Transforms"
	GroupPredicates         = "Predicates"
	GroupErrorHandling      = "Error Handling"
	GroupTopicCreation      = "Topic Creation"
	GroupExactlyOnceSupport = "Exactly Once Support"
	GroupOffsetsTopic       = "offsets.topic"
)

// commonKeys defines the keys every connector has.
func commonKeys(d *Def) *Def {
	return d.
		Define(Key{Name: KeyName, Type: TypeString, Default: NoDefault, Importance: High, Group: GroupCommon, Width: WidthMedium,
			DisplayName: "Connector name", Validator: NonEmptyStringWithoutControlChars(),
			Documentation: "Globally unique name of the connector. It may not be empty or contain control characters."}).
		Define(Key{Name: KeyConnectorClass, Type: TypeString, Default: NoDefault, Importance: High, Group: GroupCommon, Width: WidthLong,
			DisplayName: "Connector class",
			Documentation: "The connector plugin to run: its short name (for example datagen), its Kafka Connect class name " +
				"(io.confluent.kafka.connect.datagen.DatagenConnector) or that class's simple name, with or without the Connector suffix."}).
		Define(Key{Name: KeyTasksMax, Type: TypeInt, Default: 1, Importance: High, Group: GroupCommon, Width: WidthShort,
			DisplayName: "Tasks max", Validator: AtLeast(1),
			Documentation: "The largest number of tasks the connector may run. A connector can use fewer when it cannot split its work further."}).
		Define(Key{Name: KeyKeyConverter, Type: TypeClass, Importance: Low, Group: GroupCommon, Width: WidthShort,
			DisplayName: "Key converter class",
			Documentation: "Converter between record keys and the bytes stored in Kafka, overriding the worker's key.converter. " +
				"Settings for it use the key.converter. prefix, for example key.converter.schemas.enable."}).
		Define(Key{Name: KeyValueConverter, Type: TypeClass, Importance: Low, Group: GroupCommon, Width: WidthShort,
			DisplayName: "Value converter class",
			Documentation: "Converter between record values and the bytes stored in Kafka, overriding the worker's value.converter. " +
				"Settings for it use the value.converter. prefix."}).
		Define(Key{Name: KeyHeaderConverter, Type: TypeClass, Importance: Low, Group: GroupCommon, Width: WidthShort,
			DisplayName: "Header converter class",
			Documentation: "Converter between header values and bytes, overriding the worker's header.converter. " +
				"Settings for it use the header.converter. prefix."}).
		Define(Key{Name: KeyTransforms, Type: TypeList, Default: "", Importance: Low, Group: GroupTransforms, Width: WidthLong,
			DisplayName: "Transforms", Validator: UniqueList(),
			Documentation: "Aliases of the single message transforms to apply to every record, in order. Each alias a is configured with " +
				"transforms.a.type and its own transforms.a.* settings, and may be made conditional with transforms.a.predicate and transforms.a.negate."}).
		Define(Key{Name: KeyPredicates, Type: TypeList, Default: "", Importance: Low, Group: GroupPredicates, Width: WidthLong,
			DisplayName: "Predicates", Validator: UniqueList(),
			Documentation: "Aliases of the predicates transforms may refer to. Each alias p is configured with predicates.p.type and its own predicates.p.* settings."}).
		Define(Key{Name: KeyConfigActionReload, Type: TypeString, Default: ReloadRestart, Importance: Low, Group: GroupCommon, Width: WidthMedium,
			DisplayName: "Reload Action", Validator: ValidString(ReloadNone, ReloadRestart),
			Documentation: "What to do when a config provider reports that a value this connector uses has changed: restart the connector, or nothing."}).
		Define(Key{Name: KeyErrorsRetryTimeout, Type: TypeLong, Default: 0, Importance: Medium, Group: GroupErrorHandling, Width: WidthMedium,
			DisplayName: "Retry Timeout for Errors",
			Documentation: "How long, in milliseconds, a failed operation is retried before the error is handled as errors.tolerance says. " +
				"0 means no retries; -1 means retry forever."}).
		Define(Key{Name: KeyErrorsRetryDelayMax, Type: TypeLong, Default: 60000, Importance: Medium, Group: GroupErrorHandling, Width: WidthMedium,
			DisplayName:   "Maximum Delay Between Retries for Errors",
			Documentation: "The longest wait, in milliseconds, between two retries of a failed operation; waits grow exponentially up to it."}).
		Define(Key{Name: KeyErrorsTolerance, Type: TypeString, Default: ToleranceNone, Importance: Medium, Group: GroupErrorHandling, Width: WidthShort,
			DisplayName: "Error Tolerance", Validator: ValidString(ToleranceNone, ToleranceAll),
			Documentation: "What a record that still fails after the retries does: with none the task fails; with all the record is skipped " +
				"(and, for sinks, sent to the dead letter queue when one is set)."}).
		Define(Key{Name: KeyErrorsLogEnable, Type: TypeBoolean, Default: false, Importance: Medium, Group: GroupErrorHandling, Width: WidthShort,
			DisplayName:   "Log Errors",
			Documentation: "Whether each failed operation and skipped record is written to the worker log."}).
		Define(Key{Name: KeyErrorsLogIncludeMessages, Type: TypeBoolean, Default: false, Importance: Medium, Group: GroupErrorHandling, Width: WidthShort,
			DisplayName:   "Log Error Details",
			Documentation: "Whether those log entries include the record's topic, partition, offset, timestamp, key, value and headers. Keys and values may be sensitive."})
}

// ConnectorDef returns the keys every connector has, source or sink
// (name, connector.class, tasks.max, converters, transforms, predicates,
// config.action.reload and the errors.* keys). Each call returns a new Def.
func ConnectorDef() *Def { return commonKeys(NewDef()) }

// SinkConnectorDef returns the keys of a sink connector: those of
// [ConnectorDef] plus topics, topics.regex and the dead letter queue keys,
// with Kafka's cross-key checks (exactly one of topics and topics.regex; the
// dead letter queue topic is not consumed). Each call returns a new Def.
func SinkConnectorDef() *Def {
	d := commonKeys(NewDef())
	d.Define(Key{Name: KeyTopics, Type: TypeList, Default: "", Importance: High, Group: GroupCommon, Width: WidthLong,
		DisplayName:   "Topics",
		Documentation: "Comma-separated topics to consume. Exactly one of topics and topics.regex must be set."}).
		Define(Key{Name: KeyTopicsRegex, Type: TypeString, Default: "", Importance: High, Group: GroupCommon, Width: WidthLong,
			DisplayName: "Topics regex", Validator: ValidRegex(),
			Documentation: "Regular expression (Go RE2 syntax) matching whole topic names to consume. Exactly one of topics and topics.regex must be set."}).
		Define(Key{Name: KeyDLQTopicName, Type: TypeString, Default: "", Importance: Medium, Group: GroupErrorHandling, Width: WidthMedium,
			DisplayName: "Dead Letter Queue Topic Name",
			Documentation: "Topic that receives the records that failed in conversion, transformation or put when errors.tolerance=all. " +
				"Empty disables the dead letter queue. It is created with one partition if it does not exist."}).
		Define(Key{Name: KeyDLQTopicReplicationFactor, Type: TypeShort, Default: 3, Importance: Medium, Group: GroupErrorHandling, Width: WidthMedium,
			DisplayName:   "Dead Letter Queue Topic Replication Factor",
			Documentation: "Replication factor of the dead letter queue topic when Conflux creates it."}).
		Define(Key{Name: KeyDLQContextHeadersEnable, Type: TypeBoolean, Default: false, Importance: Medium, Group: GroupErrorHandling, Width: WidthMedium,
			DisplayName:   "Enable Error Context Headers",
			Documentation: "Whether records written to the dead letter queue carry __connect.errors.* headers describing the failure and the original record."})
	return d.Check(checkSinkTopics)
}

// checkSinkTopics enforces Kafka's rules on topics, topics.regex and the DLQ.
func checkSinkTopics(v *Values) []*Error {
	topics := v.List(KeyTopics)
	regex := v.String(KeyTopicsRegex)
	hasTopics := len(topics) > 0 && !(len(topics) == 1 && topics[0] == "")
	hasRegex := regex != ""
	var errs []*Error
	switch {
	case hasTopics && hasRegex:
		msg := KeyTopics + " and " + KeyTopicsRegex + " are mutually exclusive options, but both are set."
		errs = append(errs, Conflict(KeyTopics, msg), Conflict(KeyTopicsRegex, msg))
	case !hasTopics && !hasRegex:
		msg := "Must configure one of " + KeyTopics + " or " + KeyTopicsRegex
		errs = append(errs, Conflict(KeyTopics, msg), Conflict(KeyTopicsRegex, msg))
	}
	dlq := strings.TrimSpace(v.String(KeyDLQTopicName))
	if dlq == "" {
		return errs
	}
	if hasTopics {
		for _, t := range topics {
			if t == dlq {
				errs = append(errs, Conflict(KeyDLQTopicName, fmt.Sprintf(
					"The DLQ topic '%s' may not be included in the list of topics ('%s=%s') to consume from",
					dlq, KeyTopics, strings.Join(topics, ","))))
				break
			}
		}
	}
	if hasRegex {
		if re, err := regexp.Compile("^(?:" + regex + ")$"); err == nil && re.MatchString(dlq) {
			errs = append(errs, Conflict(KeyDLQTopicName, fmt.Sprintf(
				"The DLQ topic '%s' may not be included in the regex matching the topics to consume from ('%s=%s')",
				dlq, KeyTopicsRegex, regex)))
		}
	}
	return errs
}

// SourceConnectorDef returns the keys of a source connector: those of
// [ConnectorDef] plus topic.creation.groups, exactly.once.support,
// transaction.boundary, transaction.boundary.interval.ms and
// offsets.storage.topic. Each call returns a new Def.
func SourceConnectorDef() *Def {
	d := commonKeys(NewDef())
	return d.
		Define(Key{Name: KeyTopicCreationGroups, Type: TypeList, Default: "", Importance: Low, Group: GroupTopicCreation, Width: WidthLong,
			DisplayName: "Topic Creation Groups", Validator: UniqueList(),
			Documentation: "Groups of settings for topics this connector's records create, besides the default group. Each group g is configured with " +
				"topic.creation.g.include, topic.creation.g.exclude, topic.creation.g.replication.factor, topic.creation.g.partitions and topic configs."}).
		Define(Key{Name: KeyExactlyOnceSupport, Type: TypeString, Default: ExactlyOnceRequested, Importance: Medium, Group: GroupExactlyOnceSupport, Width: WidthShort,
			DisplayName: "Exactly once support", Validator: ValidStringIgnoreCase(ExactlyOnceRequested, ExactlyOnceRequired),
			Documentation: "Whether the connector must guarantee exactly-once delivery (required) or may run without it (requested)."}).
		Define(Key{Name: KeyTransactionBoundary, Type: TypeString, Default: BoundaryPoll, Importance: Medium, Group: GroupExactlyOnceSupport, Width: WidthShort,
			DisplayName: "Transaction Boundary", Validator: ValidStringIgnoreCase(BoundaryPoll, BoundaryInterval, BoundaryConnector),
			Documentation: "Where transactions end with exactly-once delivery: after every poll, every transaction.boundary.interval.ms, or where the connector says."}).
		Define(Key{Name: KeyTransactionBoundaryInterval, Type: TypeLong, Importance: Low, Group: GroupExactlyOnceSupport, Width: WidthShort,
			DisplayName: "Transaction boundary interval", Validator: AtLeast(0),
			Documentation: "Milliseconds between transaction commits when transaction.boundary=interval; null means the worker's offset.flush.interval.ms."}).
		Define(Key{Name: KeyOffsetsStorageTopic, Type: TypeString, Importance: Low, Group: GroupOffsetsTopic, Width: WidthLong,
			DisplayName:   "Offsets topic",
			Documentation: "A topic of this connector's own for its source offsets, read together with the worker's offset.storage.topic; null means the worker's topic."})
}
