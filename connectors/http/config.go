package http

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"conflux/configs"
)

// Configuration keys.
const (
	KeyURL               = "http.url"
	KeyMethod            = "http.method"
	KeyHeaders           = "http.headers"
	KeyAuthType          = "auth.type"
	KeyBasicUser         = "auth.basic.username"
	KeyBasicPassword     = "auth.basic.password"
	KeyBearerToken       = "auth.bearer.token"
	KeyOAuthTokenURL     = "oauth2.token.url"
	KeyOAuthClientID     = "oauth2.client.id"
	KeyOAuthClientSecret = "oauth2.client.secret"
	KeyOAuthScopes       = "oauth2.scopes"
	KeyOAuthAuthMode     = "oauth2.client.auth.mode"
	KeyTLSCAFile         = "https.ssl.ca.location"
	KeyTLSCertFile       = "https.ssl.certificate.location"
	KeyTLSKeyFile        = "https.ssl.key.location"
	KeyTLSInsecure       = "https.ssl.insecure.skip.verify"
	KeyBatchMaxRecords   = "batch.max.records"
	KeyBatchMaxBytes     = "batch.max.bytes"
	KeyBatchLinger       = "batch.linger.ms"
	KeyBodyFormat        = "request.body.format"
	KeyRecordFormat      = "record.format"
	KeyMaxInFlight       = "max.in.flight"
	KeyMaxRetries        = "max.retries"
	KeyRetryBackoff      = "retry.backoff.ms"
	KeyRetryBackoffMax   = "retry.backoff.max.ms"
	KeyRetryCodes        = "retry.on.status.codes"
	KeyNullValues        = "behavior.on.null.values"
	KeyConnectTimeout    = "http.connect.timeout.ms"
	KeyRequestTimeout    = "http.request.timeout.ms"

	// keyErrorsTolerance is the framework's key, read to decide what a
	// failed record does when the runtime gives no errant record reporter.
	keyErrorsTolerance = "errors.tolerance"
)

// headerSeparator separates the pairs of http.headers, as in Confluent's
// HTTP sink.
const headerSeparator = "|"

// Body formats.
const (
	formatJSONArray = "json_array"
	formatNDJSON    = "ndjson"
	formatSingle    = "single"
)

const (
	groupHTTP  = "HTTP"
	groupAuth  = "Authentication"
	groupTLS   = "TLS"
	groupBatch = "Batching"
	groupRetry = "Retries"
)

// configDef is the sink's own configuration; topics, topics.regex and
// errors.* are the framework's.
var configDef = configs.NewDef(
	configs.Key{Name: KeyURL, Type: configs.TypeString, Default: configs.NoDefault, Importance: configs.High, Group: groupHTTP,
		Validator: configs.ValidatorFunc(validateURL), DisplayName: "URL", Width: configs.WidthLong,
		Documentation: "The endpoint, an http or https URL. ${topic}, ${partition} and ${key} are replaced by the record's " +
			"topic, partition and key (path-escaped); records whose URLs differ are never batched together."},
	configs.Key{Name: KeyMethod, Type: configs.TypeString, Default: "POST", Importance: configs.High, Group: groupHTTP,
		Validator: configs.ValidStringIgnoreCase("POST", "PUT", "PATCH"), DisplayName: "Method",
		Documentation: "The request method: POST, PUT or PATCH."},
	configs.Key{Name: KeyHeaders, Type: configs.TypeString, Default: "", Importance: configs.Medium, Group: groupHTTP,
		Validator: configs.ValidatorFunc(validateHeaders), DisplayName: "Headers", Width: configs.WidthLong,
		Documentation: "Extra request headers as Name:Value pairs separated by |, for example " +
			"\"X-Source: conflux|X-Env: prod\". Content-Type defaults to application/json (application/x-ndjson for ndjson)."},
	configs.Key{Name: KeyAuthType, Type: configs.TypeString, Default: "none", Importance: configs.High, Group: groupAuth,
		Validator: configs.ValidStringIgnoreCase("none", "basic", "bearer", "oauth2"), DisplayName: "Authentication",
		Documentation: "none, basic (auth.basic.*), bearer (auth.bearer.token) or oauth2 (client credentials, oauth2.*: " +
			"the token is cached, refreshed before it expires and when the endpoint answers 401)."},
	configs.Key{Name: KeyBasicUser, Type: configs.TypeString, Default: "", Importance: configs.Medium, Group: groupAuth,
		DisplayName: "User", Documentation: "The user name of basic authentication."},
	configs.Key{Name: KeyBasicPassword, Type: configs.TypePassword, Default: "", Importance: configs.Medium, Group: groupAuth,
		DisplayName: "Password", Documentation: "The password of basic authentication."},
	configs.Key{Name: KeyBearerToken, Type: configs.TypePassword, Default: "", Importance: configs.Medium, Group: groupAuth,
		DisplayName: "Bearer token", Documentation: "The token sent as Authorization: Bearer <token>."},
	configs.Key{Name: KeyOAuthTokenURL, Type: configs.TypeString, Default: "", Importance: configs.Medium, Group: groupAuth,
		DisplayName: "Token URL", Documentation: "The OAuth2 token endpoint (client credentials grant)."},
	configs.Key{Name: KeyOAuthClientID, Type: configs.TypeString, Default: "", Importance: configs.Medium, Group: groupAuth,
		DisplayName: "Client ID", Documentation: "The OAuth2 client ID."},
	configs.Key{Name: KeyOAuthClientSecret, Type: configs.TypePassword, Default: "", Importance: configs.Medium, Group: groupAuth,
		DisplayName: "Client secret", Documentation: "The OAuth2 client secret."},
	configs.Key{Name: KeyOAuthScopes, Type: configs.TypeList, Default: "", Importance: configs.Low, Group: groupAuth,
		DisplayName: "Scopes", Documentation: "The OAuth2 scopes to request, comma-separated."},
	configs.Key{Name: KeyOAuthAuthMode, Type: configs.TypeString, Default: "header", Importance: configs.Low, Group: groupAuth,
		Validator: configs.ValidStringIgnoreCase("header", "params"), DisplayName: "Client authentication",
		Documentation: "How the client credentials reach the token endpoint: header (HTTP basic) or params (form fields)."},
	configs.Key{Name: KeyTLSCAFile, Type: configs.TypeString, Default: "", Importance: configs.Low, Group: groupTLS,
		DisplayName: "CA certificates", Documentation: "A PEM file of CA certificates to trust instead of the system's."},
	configs.Key{Name: KeyTLSCertFile, Type: configs.TypeString, Default: "", Importance: configs.Low, Group: groupTLS,
		DisplayName: "Client certificate", Documentation: "A PEM client certificate, for mutual TLS (with its key)."},
	configs.Key{Name: KeyTLSKeyFile, Type: configs.TypeString, Default: "", Importance: configs.Low, Group: groupTLS,
		DisplayName: "Client key", Documentation: "The PEM private key of the client certificate."},
	configs.Key{Name: KeyTLSInsecure, Type: configs.TypeBoolean, Default: false, Importance: configs.Low, Group: groupTLS,
		DisplayName: "Skip verification", Documentation: "Accept any server certificate. For tests only."},
	configs.Key{Name: KeyBatchMaxRecords, Type: configs.TypeInt, Default: 500, Importance: configs.Medium, Group: groupBatch,
		Validator: configs.AtLeast(1), DisplayName: "Max records",
		Documentation: "The most records one request carries (ignored with request.body.format=single)."},
	configs.Key{Name: KeyBatchMaxBytes, Type: configs.TypeInt, Default: 1 << 20, Importance: configs.Medium, Group: groupBatch,
		Validator: configs.AtLeast(1), DisplayName: "Max bytes",
		Documentation: "The largest request body a batch grows to; a single larger record is sent alone."},
	configs.Key{Name: KeyBatchLinger, Type: configs.TypeLong, Default: 0, Importance: configs.Medium, Group: groupBatch,
		Validator: configs.AtLeast(0), DisplayName: "Linger",
		Documentation: "How long, in milliseconds, a batch that is not full waits for more records. 0 sends what each " +
			"delivery from Kafka brings at once."},
	configs.Key{Name: KeyBodyFormat, Type: configs.TypeString, Default: formatJSONArray, Importance: configs.High, Group: groupBatch,
		Validator: configs.ValidString(formatJSONArray, formatNDJSON, formatSingle), DisplayName: "Body format",
		Documentation: "json_array sends a batch as a JSON array of records; ndjson as one record per line; single sends " +
			"each record alone as the body."},
	configs.Key{Name: KeyRecordFormat, Type: configs.TypeString, Default: "json", Importance: configs.Medium, Group: groupBatch,
		Validator: configs.ValidString("json", "raw"), DisplayName: "Record format",
		Documentation: "json writes each record value as JSON (a string value becomes a JSON string); raw sends string and " +
			"bytes values as they are (already JSON text, say), and other values as JSON."},
	configs.Key{Name: KeyMaxInFlight, Type: configs.TypeInt, Default: 5, Importance: configs.Medium, Group: groupBatch,
		Validator: configs.AtLeast(1), DisplayName: "Max in flight",
		Documentation: "The most requests a task has outstanding. A partition has at most one, so its records arrive " +
			"in order; several partitions are sent in parallel."},
	configs.Key{Name: KeyMaxRetries, Type: configs.TypeInt, Default: 10, Importance: configs.High, Group: groupRetry,
		Validator: configs.AtLeast(-1), DisplayName: "Max retries",
		Documentation: "How many times a failed request is retried before its records go to the error path " +
			"(errors.tolerance and the dead letter queue) or fail the task; -1 retries for ever."},
	configs.Key{Name: KeyRetryBackoff, Type: configs.TypeLong, Default: 100, Importance: configs.Medium, Group: groupRetry,
		Validator: configs.AtLeast(1), DisplayName: "Retry backoff",
		Documentation: "The first wait, in milliseconds, before a retry; it doubles with each retry, with jitter, up to " +
			"retry.backoff.max.ms. A Retry-After header (seconds or a date) on 429 or 503 is honoured instead, and stops " +
			"every request of the task until then but one probe."},
	configs.Key{Name: KeyRetryBackoffMax, Type: configs.TypeLong, Default: 30000, Importance: configs.Low, Group: groupRetry,
		Validator: configs.AtLeast(1), DisplayName: "Max retry backoff",
		Documentation: "The longest wait between retries, in milliseconds."},
	configs.Key{Name: KeyRetryCodes, Type: configs.TypeList, Default: "429,500-599", Importance: configs.Medium, Group: groupRetry,
		Validator: configs.ValidatorFunc(validateCodes), DisplayName: "Retriable status codes",
		Documentation: "Status codes, or ranges such as 500-599, that are retried; network errors and timeouts always " +
			"are. Other codes outside 2xx fail the record at once (a batch is then resent one record at a time, so " +
			"that only the records the endpoint rejects take the error path)."},
	configs.Key{Name: KeyNullValues, Type: configs.TypeString, Default: "ignore", Importance: configs.Medium, Group: groupHTTP,
		Validator: configs.ValidStringIgnoreCase("ignore", "fail", "delete"), DisplayName: "Null values",
		Documentation: "What a record with a null value (a tombstone) does: ignore skips it, fail sends it to the error " +
			"path, delete sends a DELETE request to its URL."},
	configs.Key{Name: KeyConnectTimeout, Type: configs.TypeLong, Default: 30000, Importance: configs.Low, Group: groupHTTP,
		Validator: configs.AtLeast(1), DisplayName: "Connect timeout",
		Documentation: "How long, in milliseconds, opening a connection may take."},
	configs.Key{Name: KeyRequestTimeout, Type: configs.TypeLong, Default: 30000, Importance: configs.Low, Group: groupHTTP,
		Validator: configs.AtLeast(1), DisplayName: "Request timeout",
		Documentation: "How long, in milliseconds, one request may take, the answer included; a timeout is retried."},
).Check(checkAuth)

// settings is the parsed configuration of a task.
type settings struct {
	url            *template
	method         string
	headers        [][2]string
	auth           authSettings
	tls            tlsSettings
	maxRecords     int
	maxBytes       int
	linger         time.Duration
	format         string
	raw            bool
	maxInFlight    int
	maxRetries     int
	backoff        time.Duration
	backoffMax     time.Duration
	retryCodes     codeSet
	nullValues     string
	connectTimeout time.Duration
	requestTimeout time.Duration
	tolerateAll    bool
}

func ms(v int64) time.Duration { return time.Duration(v) * time.Millisecond }

func parseSettings(config map[string]string) (*settings, error) {
	v, err := configDef.Parse(config)
	if err != nil {
		return nil, err
	}
	tpl, err := parseTemplate(v.String(KeyURL))
	if err != nil {
		return nil, err
	}
	headers, err := parseHeaders(v.String(KeyHeaders))
	if err != nil {
		return nil, err
	}
	codes, err := parseCodes(v.List(KeyRetryCodes))
	if err != nil {
		return nil, err
	}
	s := &settings{
		url:     tpl,
		method:  strings.ToUpper(v.String(KeyMethod)),
		headers: headers,
		auth: authSettings{
			kind:     strings.ToLower(v.String(KeyAuthType)),
			user:     v.String(KeyBasicUser),
			password: v.Password(KeyBasicPassword).Value(),
			token:    v.Password(KeyBearerToken).Value(),
			tokenURL: v.String(KeyOAuthTokenURL),
			clientID: v.String(KeyOAuthClientID),
			secret:   v.Password(KeyOAuthClientSecret).Value(),
			scopes:   v.List(KeyOAuthScopes),
			inParams: strings.EqualFold(v.String(KeyOAuthAuthMode), "params"),
		},
		tls: tlsSettings{
			caFile:   v.String(KeyTLSCAFile),
			certFile: v.String(KeyTLSCertFile),
			keyFile:  v.String(KeyTLSKeyFile),
			insecure: v.Bool(KeyTLSInsecure),
		},
		maxRecords:     v.Int(KeyBatchMaxRecords),
		maxBytes:       v.Int(KeyBatchMaxBytes),
		linger:         ms(v.Long(KeyBatchLinger)),
		format:         v.String(KeyBodyFormat),
		raw:            v.String(KeyRecordFormat) == "raw",
		maxInFlight:    v.Int(KeyMaxInFlight),
		maxRetries:     v.Int(KeyMaxRetries),
		backoff:        ms(v.Long(KeyRetryBackoff)),
		backoffMax:     ms(v.Long(KeyRetryBackoffMax)),
		retryCodes:     codes,
		nullValues:     strings.ToLower(v.String(KeyNullValues)),
		connectTimeout: ms(v.Long(KeyConnectTimeout)),
		requestTimeout: ms(v.Long(KeyRequestTimeout)),
		tolerateAll:    strings.EqualFold(strings.TrimSpace(config[keyErrorsTolerance]), "all"),
	}
	if s.format == formatSingle {
		s.maxRecords = 1
	}
	return s, nil
}

func validateURL(name string, value any) error {
	if _, err := parseTemplate(fmt.Sprint(value)); err != nil {
		return configs.Invalid(name, value, err.Error())
	}
	return nil
}

func validateHeaders(name string, value any) error {
	if _, err := parseHeaders(fmt.Sprint(value)); err != nil {
		return configs.Invalid(name, value, err.Error())
	}
	return nil
}

func validateCodes(name string, value any) error {
	list, _ := value.([]string)
	if _, err := parseCodes(list); err != nil {
		return configs.Invalid(name, value, err.Error())
	}
	return nil
}

// parseHeaders parses "Name: Value|Name: Value".
func parseHeaders(s string) ([][2]string, error) {
	var out [][2]string
	for _, pair := range strings.Split(s, headerSeparator) {
		if strings.TrimSpace(pair) == "" {
			continue
		}
		k, v, ok := strings.Cut(pair, ":")
		k = strings.TrimSpace(k)
		if !ok || k == "" || strings.ContainsAny(k, " \t\r\n") {
			return nil, fmt.Errorf("header %q is not Name:Value", pair)
		}
		out = append(out, [2]string{k, strings.TrimSpace(v)})
	}
	return out, nil
}

// codeSet is a set of HTTP status codes given as codes and ranges.
type codeSet [][2]int

func parseCodes(list []string) (codeSet, error) {
	var out codeSet
	for _, item := range list {
		lo, hi, isRange := strings.Cut(strings.TrimSpace(item), "-")
		a, err1 := strconv.Atoi(strings.TrimSpace(lo))
		b := a
		var err2 error
		if isRange {
			b, err2 = strconv.Atoi(strings.TrimSpace(hi))
		}
		if err1 != nil || err2 != nil || a < 100 || b > 599 || a > b {
			return nil, fmt.Errorf("%q is not a status code or a range of them such as 500-599", item)
		}
		out = append(out, [2]int{a, b})
	}
	return out, nil
}

func (c codeSet) has(code int) bool {
	for _, r := range c {
		if code >= r[0] && code <= r[1] {
			return true
		}
	}
	return false
}

// checkAuth requires the keys the chosen authentication needs.
func checkAuth(v *configs.Values) []*configs.Error {
	need := map[string][]string{
		"basic":  {KeyBasicUser},
		"bearer": {KeyBearerToken},
		"oauth2": {KeyOAuthTokenURL, KeyOAuthClientID, KeyOAuthClientSecret},
	}[strings.ToLower(v.String(KeyAuthType))]
	var errs []*configs.Error
	for _, k := range need {
		val := v.Get(k)
		if p, ok := val.(configs.Password); ok {
			val = p.Value()
		}
		if val == "" {
			errs = append(errs, configs.Conflict(k, fmt.Sprintf("%s is required with %s=%s", k, KeyAuthType, v.String(KeyAuthType))))
		}
	}
	return errs
}
