package postgres

import (
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"conflux/configs"
)

// Snapshot modes (Debezium's snapshot.mode).
const (
	snapshotInitial     = "initial"
	snapshotAlways      = "always"
	snapshotInitialOnly = "initial_only"
	snapshotNoData      = "no_data"
	snapshotWhenNeeded  = "when_needed"
)

const group = "Postgres"

var connectorDef = configs.NewDef(
	configs.Key{Name: "database.hostname", Type: configs.TypeString, Default: "localhost", Importance: configs.High, Group: group,
		Documentation: "Resolvable hostname or IP address of the database server."},
	configs.Key{Name: "database.port", Type: configs.TypeInt, Default: 5432, Importance: configs.High, Group: group,
		Validator: configs.Between(1, 65535), Documentation: "Port of the database server."},
	configs.Key{Name: "database.user", Type: configs.TypeString, Default: "postgres", Importance: configs.High, Group: group,
		Documentation: "Name of the database user, which needs the REPLICATION attribute (and to own or be able to create the publication)."},
	configs.Key{Name: "database.password", Type: configs.TypePassword, Default: nil, Importance: configs.High, Group: group,
		Documentation: "Password of the database user."},
	configs.Key{Name: "database.dbname", Type: configs.TypeString, Default: "postgres", Importance: configs.High, Group: group,
		Documentation: "The name of the database from which to stream the changes."},
	configs.Key{Name: "database.url", Type: configs.TypeString, Default: nil, Importance: configs.Medium, Group: group,
		Documentation: "A libpq connection string or postgres:// URL; when set, it replaces the database.* keys above."},
	configs.Key{Name: "database.sslmode", Type: configs.TypeString, Default: "prefer", Importance: configs.Medium, Group: group,
		Validator: configs.ValidString("disable", "allow", "prefer", "require", "verify-ca", "verify-full"), Documentation: "libpq's sslmode."},
	configs.Key{Name: "topic.prefix", Type: configs.TypeString, Default: configs.NoDefault, Importance: configs.High, Group: group,
		Validator: configs.NonEmptyString(), Documentation: "Prefix of every topic the connector writes to: <topic.prefix>.<schema>.<table>; also the source's name field."},
	configs.Key{Name: "plugin.name", Type: configs.TypeString, Default: "pgoutput", Importance: configs.Medium, Group: group,
		Validator:     configs.ValidString("pgoutput"),
		Documentation: "The logical decoding plugin. Only pgoutput, built into PostgreSQL 10 and later, is supported."},
	configs.Key{Name: "slot.name", Type: configs.TypeString, Default: "debezium", Importance: configs.Medium, Group: group,
		Validator:     configs.ValidatorFunc(validIdentifier),
		Documentation: "The name of the logical replication slot; each connector needs its own."},
	configs.Key{Name: "slot.drop.on.stop", Type: configs.TypeBoolean, Default: false, Importance: configs.Low, Group: group,
		Documentation: "Whether to drop the slot when the task stops cleanly; for tests and development only, since the changes made while the connector is stopped are then lost."},
	configs.Key{Name: "publication.name", Type: configs.TypeString, Default: "dbz_publication", Importance: configs.Medium, Group: group,
		Validator: configs.ValidatorFunc(validIdentifier), Documentation: "The name of the publication to stream from."},
	configs.Key{Name: "publication.autocreate.mode", Type: configs.TypeString, Default: "all_tables", Importance: configs.Medium, Group: group,
		Validator:     configs.ValidString("all_tables", "filtered", "disabled"),
		Documentation: "all_tables creates a missing publication FOR ALL TABLES; filtered creates it for the tables the include and exclude lists select; disabled requires it to exist."},
	configs.Key{Name: "table.include.list", Type: configs.TypeList, Default: "", Importance: configs.Medium, Group: group,
		Validator: configs.ValidatorFunc(validRegexList), Documentation: "Regular expressions matching schema.table names to capture; empty means every table of the publication."},
	configs.Key{Name: "table.exclude.list", Type: configs.TypeList, Default: "", Importance: configs.Medium, Group: group,
		Validator: configs.ValidatorFunc(validRegexList), Documentation: "Regular expressions matching schema.table names not to capture."},
	configs.Key{Name: "column.exclude.list", Type: configs.TypeList, Default: "", Importance: configs.Medium, Group: group,
		Validator: configs.ValidatorFunc(validRegexList), Documentation: "Regular expressions matching schema.table.column names to leave out of change events."},
	configs.Key{Name: "snapshot.mode", Type: configs.TypeString, Default: snapshotInitial, Importance: configs.Medium, Group: group,
		Validator:     configs.ValidString(snapshotInitial, snapshotAlways, snapshotInitialOnly, snapshotNoData, snapshotWhenNeeded, "never"),
		Documentation: "initial: snapshot when there is no stored offset; always: at every start; initial_only: snapshot, then stop; no_data: never snapshot; when_needed: when there is no offset or the slot the offset refers to is gone."},
	configs.Key{Name: "heartbeat.interval.ms", Type: configs.TypeInt, Default: 0, Importance: configs.Medium, Group: group,
		Validator:     configs.AtLeast(0),
		Documentation: "How often to send a heartbeat record to __debezium-heartbeat.<topic.prefix>, so that the slot advances while the captured tables are idle; 0 disables heartbeats."},
	configs.Key{Name: "heartbeat.action.query", Type: configs.TypeString, Default: nil, Importance: configs.Low, Group: group,
		Documentation: "A statement run at each heartbeat, for example an insert into a table of the publication, so that an idle database still produces WAL for the slot."},
	configs.Key{Name: "tombstones.on.delete", Type: configs.TypeBoolean, Default: true, Importance: configs.Medium, Group: group,
		Documentation: "Whether a delete event is followed by a tombstone (same key, null value) so that compacted topics drop the row."},
	configs.Key{Name: "decimal.handling.mode", Type: configs.TypeString, Default: "precise", Importance: configs.Medium, Group: group,
		Validator:     configs.ValidString("precise", "double", "string"),
		Documentation: "How numeric columns are represented: precise (Connect Decimal, or io.debezium.data.VariableScaleDecimal without a declared scale), double or string."},
	configs.Key{Name: "time.precision.mode", Type: configs.TypeString, Default: "adaptive", Importance: configs.Medium, Group: group,
		Validator:     configs.ValidString("adaptive", "adaptive_time_microseconds", "connect"),
		Documentation: "How time values are represented: adaptive (Debezium's io.debezium.time types after each column's precision), adaptive_time_microseconds (TIME as MicroTime) or connect (Kafka Connect's Date, Time and Timestamp)."},
	configs.Key{Name: "skipped.operations", Type: configs.TypeList, Default: "t", Importance: configs.Low, Group: group,
		Validator:     configs.ValidList("c", "u", "d", "t", "none"),
		Documentation: "Operations not to emit: c (create), u (update), d (delete), t (truncate), or none."},
	configs.Key{Name: "max.batch.size", Type: configs.TypeInt, Default: 2048, Importance: configs.Low, Group: group,
		Validator: configs.AtLeast(1), Documentation: "The most records one poll returns."},
	configs.Key{Name: "max.queue.size", Type: configs.TypeInt, Default: 4096, Importance: configs.Low, Group: group,
		Validator: configs.AtLeast(1), Documentation: "How many change records the task buffers between the database and the runtime (Debezium's default is 8192; half as many keep a worker that falls behind under 100 MB)."},
	configs.Key{Name: "xmin.fetch.interval.ms", Type: configs.TypeInt, Default: 0, Importance: configs.Low, Group: group,
		Validator:     configs.AtLeast(0),
		Documentation: "How often to read the replication slot's catalog_xmin, which streamed events then carry in source.xmin and their offsets in xmin; 0 (the default, as in Debezium) never reads it, and source.xmin stays null."},
	configs.Key{Name: "status.update.interval.ms", Type: configs.TypeInt, Default: 10000, Importance: configs.Low, Group: group,
		Validator: configs.AtLeast(1), Documentation: "How often the task tells the server the position it has durably processed."},
)

func validIdentifier(name string, v any) error {
	if s, _ := v.(string); !regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`).MatchString(s) {
		return configs.Invalid(name, v, "must be a lower-case identifier of letters, digits and underscores")
	}
	return nil
}

func validRegexList(name string, v any) error {
	for _, p := range v.([]string) {
		if _, err := regexp.Compile(p); err != nil {
			return configs.Invalid(name, v, "not a valid regular expression: "+err.Error())
		}
	}
	return nil
}

// config is a parsed connector configuration.
type config struct {
	dsn, target    string // connection string; host:port/db for messages
	prefix         string
	slot, pub      string
	pubMode        string
	include        []*regexp.Regexp
	exclude        []*regexp.Regexp
	columnExclude  []*regexp.Regexp
	snapshotMode   string
	heartbeat      time.Duration
	heartbeatQuery string
	tombstones     bool
	decimalMode    string
	timeMode       string
	skipped        map[string]bool
	dropSlot       bool
	batch, queue   int
	statusInterval time.Duration
	xminInterval   time.Duration
}

// parseConfig reads and checks a connector or task configuration.
func parseConfig(raw map[string]string) (*config, error) {
	v, err := connectorDef.Parse(raw)
	if err != nil {
		return nil, err
	}
	c := &config{
		prefix: v.String("topic.prefix"), slot: v.String("slot.name"), pub: v.String("publication.name"),
		pubMode: v.String("publication.autocreate.mode"), snapshotMode: v.String("snapshot.mode"),
		heartbeat:  time.Duration(v.Int("heartbeat.interval.ms")) * time.Millisecond,
		tombstones: v.Bool("tombstones.on.delete"), decimalMode: v.String("decimal.handling.mode"),
		timeMode: v.String("time.precision.mode"), dropSlot: v.Bool("slot.drop.on.stop"),
		batch: v.Int("max.batch.size"), queue: v.Int("max.queue.size"),
		statusInterval: time.Duration(v.Int("status.update.interval.ms")) * time.Millisecond,
		xminInterval:   time.Duration(v.Int("xmin.fetch.interval.ms")) * time.Millisecond,
		skipped:        map[string]bool{},
	}
	if c.snapshotMode == "never" {
		c.snapshotMode = snapshotNoData
	}
	if q, ok := v.Get("heartbeat.action.query").(string); ok {
		c.heartbeatQuery = q
	}
	for _, op := range v.List("skipped.operations") {
		c.skipped[op] = true
	}
	for _, l := range []struct {
		key string
		dst *[]*regexp.Regexp
	}{{"table.include.list", &c.include}, {"table.exclude.list", &c.exclude}, {"column.exclude.list", &c.columnExclude}} {
		for _, p := range v.List(l.key) {
			*l.dst = append(*l.dst, regexp.MustCompile("^(?:"+p+")$"))
		}
	}
	if u, ok := v.Get("database.url").(string); ok && u != "" {
		c.dsn, c.target = u, redactURL(u)
		return c, nil
	}
	host, port, db := v.String("database.hostname"), v.Int("database.port"), v.String("database.dbname")
	dsn := url.URL{Scheme: "postgres", Host: net.JoinHostPort(host, strconv.Itoa(int(port))), Path: "/" + db}
	q := url.Values{"sslmode": {v.String("database.sslmode")}, "application_name": {"conflux-" + c.slot}}
	dsn.RawQuery = q.Encode()
	if pw, ok := v.Get("database.password").(configs.Password); ok {
		dsn.User = url.UserPassword(v.String("database.user"), pw.Value())
	} else {
		dsn.User = url.User(v.String("database.user"))
	}
	c.dsn = dsn.String()
	c.target = fmt.Sprintf("%s:%d/%s as %s", host, port, db, v.String("database.user"))
	return c, nil
}

// redactURL hides a password in a connection URL for messages.
func redactURL(s string) string {
	if u, err := url.Parse(s); err == nil && u.Scheme != "" {
		return u.Redacted()
	}
	return strings.Split(s, " ")[0]
}

// captured reports whether the table schema.table is selected.
func (c *config) captured(schema, table string) bool {
	name := schema + "." + table
	if len(c.include) > 0 && !matchAny(c.include, name) {
		return false
	}
	return !matchAny(c.exclude, name)
}

// columnExcluded reports whether a column is left out.
func (c *config) columnExcluded(schema, table, column string) bool {
	return matchAny(c.columnExclude, schema+"."+table+"."+column)
}

func matchAny(res []*regexp.Regexp, s string) bool {
	for _, re := range res {
		if re.MatchString(s) {
			return true
		}
	}
	return false
}
