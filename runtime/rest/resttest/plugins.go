package resttest

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"conflux/configs"
	"conflux/connectors"
)

// Names of the contract suite's plugins. Each is registered under its short
// name with the class name as alias.
const (
	SourcePlugin    = "contract-source"
	SourceClass     = "io.conflux.test.ContractSourceConnector"
	SinkPlugin      = "contract-sink"
	SinkClass       = "io.conflux.test.ContractSinkConnector"
	TransformPlugin = "contract-mask"
	TransformClass  = "io.conflux.test.MaskTransformation"
	PredicatePlugin = "contract-always"
	PredicateClass  = "io.conflux.test.AlwaysPredicate"
	ConverterPlugin = "contract-text"
	ConverterClass  = "io.conflux.test.TextConverter"
)

// Keys of the contract source connector.
const (
	keyTopic     = "topic"
	keyPassword  = "api.password"
	keyBatchSize = "batch.size"
	keyFailTasks = "fail.tasks"
	keyTaskIndex = "task.index"
	keyFail      = "fail"
	keyEndpoint  = "endpoint"
)

// Values the source connector's ConfigValidator rejects.
const (
	reservedTopic = "reserved"
	wrongPassword = "wrong"
)

// NewRegistry returns a new registry holding the contract suite's plugins:
// a source connector (version 1.2.3, with a required topic, a PASSWORD key,
// a validated INT key, a ConfigValidator, and a fail.tasks key listing the
// task indexes whose Start fails), a sink connector without version, a
// transformation with a PASSWORD key, a predicate, and a converter that is
// also a header converter. A herder under contract test must find its
// plugins in a registry built by this function; add more plugins to it (the
// worker's converters, say) as needed.
func NewRegistry() *connectors.Registry {
	reg := connectors.NewRegistry()
	reg.Register(connectors.Plugin{
		Name: SourcePlugin, Aliases: []string{SourceClass}, Type: connectors.PluginSource, Version: "1.2.3",
		Summary: "Contract-test source that produces nothing.", ConfigDef: sourceDef,
		New: func() any { return &sourceConnector{} },
	})
	reg.Register(connectors.Plugin{
		Name: SinkPlugin, Aliases: []string{SinkClass}, Type: connectors.PluginSink,
		Summary: "Contract-test sink that drops every record.", ConfigDef: sinkDef,
		New: func() any { return &sinkConnector{} },
	})
	reg.Register(connectors.Plugin{
		Name: TransformPlugin, Aliases: []string{TransformClass}, Type: connectors.PluginTransformation, Version: "1.0.0",
		Summary: "Contract-test transformation that changes nothing.", ConfigDef: transformDef,
		New: func() any { return passThrough{} },
	})
	reg.Register(connectors.Plugin{
		Name: PredicatePlugin, Aliases: []string{PredicateClass}, Type: connectors.PluginPredicate, Version: "1.0.0",
		Summary: "Contract-test predicate that matches every record.", ConfigDef: configs.NewDef(),
		New: func() any { return passThrough{} },
	})
	reg.Register(connectors.Plugin{
		Name: ConverterPlugin, Aliases: []string{ConverterClass}, Type: connectors.PluginConverter, Version: "1.0.0",
		Summary: "Contract-test converter of text.", ConfigDef: converterDef,
		New: func() any { return textConverter{} },
	})
	return reg
}

var sourceDef = configs.NewDef(
	configs.Key{Name: keyTopic, Type: configs.TypeString, Default: configs.NoDefault, Importance: configs.High, Group: "Contract",
		Width: configs.WidthMedium, DisplayName: "Topic", Documentation: "Topic the connector would write to."},
	configs.Key{Name: keyPassword, Type: configs.TypePassword, Importance: configs.High, Group: "Contract",
		Width: configs.WidthMedium, DisplayName: "API password", Documentation: "Password of the imaginary upstream API."},
	configs.Key{Name: keyBatchSize, Type: configs.TypeInt, Default: 100, Importance: configs.Medium, Group: "Contract",
		Validator: configs.Between(1, 1000), Documentation: "Records per poll."},
	configs.Key{Name: keyFailTasks, Type: configs.TypeList, Default: "", Importance: configs.Low, Group: "Contract",
		Documentation: "Indexes of the tasks whose Start fails, to test failed tasks and restarts."},
)

var sinkDef = configs.NewDef(
	configs.Key{Name: keyEndpoint, Type: configs.TypeString, Default: "http://localhost:1", Importance: configs.High,
		Group: "Sink", Documentation: "Where the records would go."},
)

var transformDef = configs.NewDef(
	configs.Key{Name: "field", Type: configs.TypeString, Default: configs.NoDefault, Importance: configs.High,
		Documentation: "Field to mask."},
	configs.Key{Name: "salt", Type: configs.TypePassword, Importance: configs.Medium,
		Documentation: "Secret salt of the mask."},
)

var converterDef = configs.NewDef(
	configs.Key{Name: "charset", Type: configs.TypeString, Default: "UTF-8", Importance: configs.High,
		Validator: configs.ValidString("UTF-8", "US-ASCII"), Documentation: "Character set of the text."},
)

// taskConfigs splits the work of a contract connector into maxTasks task
// configs carrying the keys named in keep and the task's index.
func taskConfigs(config map[string]string, maxTasks int, keep ...string) []map[string]string {
	failing := strings.Split(config[keyFailTasks], ",")
	out := make([]map[string]string, maxTasks)
	for i := range out {
		tc := map[string]string{keyTaskIndex: strconv.Itoa(i)}
		for _, k := range keep {
			if v, ok := config[k]; ok {
				tc[k] = v
			}
		}
		if slices.Contains(failing, strconv.Itoa(i)) {
			tc[keyFail] = "true"
		}
		out[i] = tc
	}
	return out
}

// failIfAsked is a task's Start: it fails when the task config says so.
func failIfAsked(config map[string]string) error {
	if config[keyFail] == "true" {
		return fmt.Errorf("contract task %s failed on purpose", config[keyTaskIndex])
	}
	return nil
}

// sourceConnector is the contract source connector.
type sourceConnector struct{ config map[string]string }

func (c *sourceConnector) Start(_ context.Context, _ connectors.ConnectorContext, config map[string]string) error {
	c.config = config
	return nil
}

func (c *sourceConnector) TaskConfigs(maxTasks int) ([]map[string]string, error) {
	return taskConfigs(c.config, maxTasks, keyTopic, keyPassword), nil
}

func (c *sourceConnector) Stop() error { return nil }

func (c *sourceConnector) NewTask() connectors.SourceTask { return &sourceTask{} }

// ValidateConfig rejects a reserved topic and a wrong password.
func (c *sourceConnector) ValidateConfig(_ context.Context, config map[string]string) []*configs.Error {
	var errs []*configs.Error
	if config[keyTopic] == reservedTopic {
		errs = append(errs, configs.Invalid(keyTopic, reservedTopic, "The topic "+reservedTopic+" is reserved"))
	}
	if config[keyPassword] == wrongPassword {
		errs = append(errs, configs.Invalid(keyPassword, config[keyPassword], "Authentication failed"))
	}
	return errs
}

// sourceTask polls nothing.
type sourceTask struct{}

func (sourceTask) Start(_ context.Context, _ connectors.SourceTaskContext, config map[string]string) error {
	return failIfAsked(config)
}

func (sourceTask) Poll(ctx context.Context) ([]*connectors.Record, error) {
	select {
	case <-ctx.Done():
	case <-time.After(100 * time.Millisecond):
	}
	return nil, nil
}

func (sourceTask) Commit(context.Context) error { return nil }
func (sourceTask) Stop() error                  { return nil }

// sinkConnector is the contract sink connector.
type sinkConnector struct{ config map[string]string }

func (c *sinkConnector) Start(_ context.Context, _ connectors.ConnectorContext, config map[string]string) error {
	c.config = config
	return nil
}

func (c *sinkConnector) TaskConfigs(maxTasks int) ([]map[string]string, error) {
	return taskConfigs(c.config, maxTasks, keyEndpoint), nil
}

func (c *sinkConnector) Stop() error { return nil }

func (c *sinkConnector) NewTask() connectors.SinkTask { return sinkTask{} }

// sinkTask drops every record.
type sinkTask struct{}

func (sinkTask) Start(_ context.Context, _ connectors.SinkTaskContext, config map[string]string) error {
	return failIfAsked(config)
}
func (sinkTask) Open(context.Context, []connectors.TopicPartition) error { return nil }
func (sinkTask) Put(context.Context, []*connectors.Record) error         { return nil }
func (sinkTask) PreCommit(_ context.Context, offsets map[connectors.TopicPartition]int64) (map[connectors.TopicPartition]int64, error) {
	return offsets, nil
}
func (sinkTask) Close(context.Context, []connectors.TopicPartition) error { return nil }
func (sinkTask) Stop() error                                              { return nil }

// passThrough is the contract transformation and predicate.
type passThrough struct{}

func (passThrough) Configure(map[string]string) error                        { return nil }
func (passThrough) Apply(rec *connectors.Record) (*connectors.Record, error) { return rec, nil }
func (passThrough) Test(*connectors.Record) (bool, error)                    { return true, nil }
func (passThrough) Close() error                                             { return nil }

// textConverter is the contract converter; it is also a header converter.
type textConverter struct{}

func (textConverter) Configure(map[string]string, bool) error { return nil }
func (textConverter) FromConnectData(_ string, _ *connectors.RawHeaders, _ *connectors.Schema, value any) ([]byte, error) {
	if value == nil {
		return nil, nil
	}
	return fmt.Append(nil, value), nil
}
func (textConverter) ToConnectData(_ string, _ connectors.RawHeaders, data []byte) (*connectors.Schema, any, error) {
	if data == nil {
		return nil, nil, nil
	}
	return nil, string(data), nil
}
func (textConverter) ConfigureHeader(map[string]string) error { return nil }
func (textConverter) FromConnectHeader(_, _ string, _ *connectors.Schema, value any) ([]byte, error) {
	return fmt.Append(nil, value), nil
}
func (textConverter) ToConnectHeader(_, _ string, data []byte) (*connectors.Schema, any, error) {
	return nil, string(data), nil
}
