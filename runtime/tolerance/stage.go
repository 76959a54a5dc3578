package tolerance

// Stage is the step of a task's pipeline an operation belongs to (Kafka
// Connect's Stage). Its String form is Kafka's name, used in logs and in the
// __connect.errors.stage header of dead letter queue records.
//
// Which failures errors.tolerance=all can skip depends on the stage, as in
// Kafka Connect: any error of a converter or a transformation (predicates
// run as part of their transformation), but only retriable errors (after
// the retries) anywhere else.
type Stage uint8

// The stages, in pipeline order.
const (
	StageKeyConverter    Stage = iota + 1 // KEY_CONVERTER
	StageValueConverter                   // VALUE_CONVERTER
	StageHeaderConverter                  // HEADER_CONVERTER
	StageTransformation                   // TRANSFORMATION
	StageTaskPut                          // TASK_PUT
	StageTaskPoll                         // TASK_POLL
	StageKafkaProduce                     // KAFKA_PRODUCE
	StageKafkaConsume                     // KAFKA_CONSUME
)

var stageNames = [...]string{
	StageKeyConverter:    "KEY_CONVERTER",
	StageValueConverter:  "VALUE_CONVERTER",
	StageHeaderConverter: "HEADER_CONVERTER",
	StageTransformation:  "TRANSFORMATION",
	StageTaskPut:         "TASK_PUT",
	StageTaskPoll:        "TASK_POLL",
	StageKafkaProduce:    "KAFKA_PRODUCE",
	StageKafkaConsume:    "KAFKA_CONSUME",
}

// String returns Kafka's name of the stage, or "UNKNOWN".
func (s Stage) String() string {
	if int(s) < len(stageNames) && stageNames[s] != "" {
		return stageNames[s]
	}
	return "UNKNOWN"
}

// toleratesAny reports whether errors.tolerance=all skips every error of
// the stage, not only retriable ones.
func (s Stage) toleratesAny() bool {
	switch s {
	case StageKeyConverter, StageValueConverter, StageHeaderConverter, StageTransformation:
		return true
	}
	return false
}
