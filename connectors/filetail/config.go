package filetail

import (
	"fmt"
	"regexp"
	"time"

	"conflux/configs"
)

// Configuration keys.
const (
	KeyPaths             = "paths"
	KeyExclude           = "exclude"
	KeyTopic             = "topic"
	KeyStartPosition     = "start.position"
	KeyBatchSize         = "batch.size"
	KeyPollInterval      = "poll.interval.ms"
	KeyMultilinePattern  = "multiline.pattern"
	KeyMultilineNegate   = "multiline.negate"
	KeyMultilineMatch    = "multiline.match"
	KeyMultilineMaxLines = "multiline.max.lines"
	KeyMultilineTimeout  = "multiline.timeout.ms"
	KeyMaxLineBytes      = "max.line.bytes"
	KeyMaxLineAction     = "max.line.action"
	KeyEncoding          = "encoding"
	KeyParse             = "parse"
)

const group = "File tail"

// configDef is the connector's own configuration.
var configDef = configs.NewDef(
	configs.Key{Name: KeyPaths, Type: configs.TypeList, Default: configs.NoDefault, Importance: configs.High, Group: group,
		Validator: configs.ValidatorFunc(validatePatterns), DisplayName: "Paths",
		Documentation: "Comma-separated glob patterns of the files to tail (path.Match syntax per segment, and ** for any " +
			"number of directories). Relative patterns are resolved against the worker's working directory. Files that " +
			"appear later are picked up by the periodic scan."},
	configs.Key{Name: KeyExclude, Type: configs.TypeList, Default: "", Importance: configs.Medium, Group: group,
		Validator: configs.ValidatorFunc(validateExcludes), DisplayName: "Exclude",
		Documentation: "Comma-separated glob patterns of files not to tail. A pattern with a slash is matched against the " +
			"whole path, one without against the file name (for example *.gz)."},
	configs.Key{Name: KeyTopic, Type: configs.TypeString, Default: configs.NoDefault, Importance: configs.High, Group: group,
		Validator: configs.NonEmptyString(), DisplayName: "Topic",
		Documentation: "The topic to publish the lines to."},
	configs.Key{Name: KeyStartPosition, Type: configs.TypeString, Default: "beginning", Importance: configs.Medium, Group: group,
		Validator: configs.ValidString("beginning", "end"), DisplayName: "Start position",
		Documentation: "Where to start in a file that has no stored offset and exists when the task starts: beginning, or " +
			"end to publish only what is appended from then on. Files that appear later are always read from the beginning."},
	configs.Key{Name: KeyBatchSize, Type: configs.TypeInt, Default: 2000, Importance: configs.Low, Group: group,
		Validator: configs.AtLeast(1), DisplayName: "Batch size",
		Documentation: "The most records one poll returns."},
	configs.Key{Name: KeyPollInterval, Type: configs.TypeLong, Default: 1000, Importance: configs.Low, Group: group,
		Validator: configs.AtLeast(10), DisplayName: "Scan interval",
		Documentation: "How often, in milliseconds, the task scans the patterns and checks every open file (device, inode, " +
			"size and a fingerprint of its first bytes). File system events only make it look sooner; this scan is what " +
			"finds rotation, truncation and deletion when events are missing (NFS, overflow)."},
	configs.Key{Name: KeyMultilinePattern, Type: configs.TypeString, Default: "", Importance: configs.Medium, Group: group,
		Validator: configs.ValidatorFunc(validateRegex), DisplayName: "Multiline pattern",
		Documentation: "A regular expression (Go syntax) that marks the lines to join into one record, as in Filebeat: with " +
			"multiline.negate=false, lines that match are continuation lines; with true, lines that do not match are. Empty " +
			"means one record per line."},
	configs.Key{Name: KeyMultilineNegate, Type: configs.TypeBoolean, Default: false, Importance: configs.Medium, Group: group,
		DisplayName:   "Multiline negate",
		Documentation: "Whether continuation lines are those that do not match multiline.pattern."},
	configs.Key{Name: KeyMultilineMatch, Type: configs.TypeString, Default: "after", Importance: configs.Medium, Group: group,
		Validator: configs.ValidString("after", "before"), DisplayName: "Multiline match",
		Documentation: "after appends continuation lines to the line before them (stack traces); before prepends them to the " +
			"line after them (lines ending in a backslash)."},
	configs.Key{Name: KeyMultilineMaxLines, Type: configs.TypeInt, Default: 500, Importance: configs.Low, Group: group,
		Validator: configs.AtLeast(1), DisplayName: "Multiline max lines",
		Documentation: "The most lines one multiline record joins; the next line starts a new record."},
	configs.Key{Name: KeyMultilineTimeout, Type: configs.TypeLong, Default: 5000, Importance: configs.Low, Group: group,
		Validator: configs.AtLeast(1), DisplayName: "Multiline timeout",
		Documentation: "How long, in milliseconds, a multiline record waits for more continuation lines once the file has " +
			"no more data, before it is published as it is."},
	configs.Key{Name: KeyMaxLineBytes, Type: configs.TypeInt, Default: 1 << 20, Importance: configs.Medium, Group: group,
		Validator: configs.AtLeast(16), DisplayName: "Max line bytes",
		Documentation: "The longest line, in bytes without its newline. A longer line never stops the file: it is split into " +
			"records of at most this size (cut at a UTF-8 character boundary) or skipped, per max.line.action."},
	configs.Key{Name: KeyMaxLineAction, Type: configs.TypeString, Default: "split", Importance: configs.Medium, Group: group,
		Validator: configs.ValidString("split", "skip"), DisplayName: "Max line action",
		Documentation: "What to do with a line longer than max.line.bytes: split it into several records, or skip it (logged " +
			"with its file and offset)."},
	configs.Key{Name: KeyEncoding, Type: configs.TypeString, Default: "utf-8", Importance: configs.Low, Group: group,
		Validator: configs.ValidStringIgnoreCase("utf-8", "utf8"), DisplayName: "Encoding",
		Documentation: "The files' character encoding; only UTF-8 is supported. Invalid bytes become U+FFFD in the value; " +
			"offsets always count bytes."},
	configs.Key{Name: KeyParse, Type: configs.TypeString, Default: "none", Importance: configs.Medium, Group: group,
		Validator: configs.ValidString("none", "json"), DisplayName: "Parse",
		Documentation: "none publishes each line as a string; json parses it as a JSON value (an object becomes a map). A " +
			"line that is not JSON is published as a string with the header filetail.parse.error."},
)

// settings is the parsed configuration of a task.
type settings struct {
	paths        []*glob
	exclude      *excluder
	topic        string
	fromEnd      bool
	batchSize    int
	pollInterval time.Duration
	multiline    *multilineConfig // nil when lines are not joined
	maxLine      int
	skipLong     bool
	parseJSON    bool
}

func parseSettings(config map[string]string) (*settings, error) {
	v, err := configDef.Parse(config)
	if err != nil {
		return nil, err
	}
	s := &settings{
		topic:        v.String(KeyTopic),
		fromEnd:      v.String(KeyStartPosition) == "end",
		batchSize:    v.Int(KeyBatchSize),
		pollInterval: time.Duration(v.Long(KeyPollInterval)) * time.Millisecond,
		maxLine:      v.Int(KeyMaxLineBytes),
		skipLong:     v.String(KeyMaxLineAction) == "skip",
		parseJSON:    v.String(KeyParse) == "json",
	}
	for _, p := range v.List(KeyPaths) {
		g, err := compileGlob(p)
		if err != nil {
			return nil, err
		}
		s.paths = append(s.paths, g)
	}
	if s.exclude, err = compileExcludes(v.List(KeyExclude)); err != nil {
		return nil, err
	}
	if p := v.String(KeyMultilinePattern); p != "" {
		re, err := regexp.Compile(p)
		if err != nil {
			return nil, err
		}
		s.multiline = &multilineConfig{
			pattern:  re,
			negate:   v.Bool(KeyMultilineNegate),
			before:   v.String(KeyMultilineMatch) == "before",
			maxLines: v.Int(KeyMultilineMaxLines),
			timeout:  time.Duration(v.Long(KeyMultilineTimeout)) * time.Millisecond,
		}
	}
	return s, nil
}

func validatePatterns(name string, value any) error {
	list, _ := value.([]string)
	if len(list) == 0 {
		return configs.Invalid(name, value, "At least one path pattern is required")
	}
	for _, p := range list {
		if _, err := compileGlob(p); err != nil {
			return configs.Invalid(name, value, err.Error())
		}
	}
	return nil
}

func validateExcludes(name string, value any) error {
	list, _ := value.([]string)
	if _, err := compileExcludes(list); err != nil {
		return configs.Invalid(name, value, err.Error())
	}
	return nil
}

func validateRegex(name string, value any) error {
	if _, err := regexp.Compile(fmt.Sprint(value)); err != nil {
		return configs.Invalid(name, value, err.Error())
	}
	return nil
}
