package rest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
)

// WriteJSON writes v as the JSON body of a response with the given status.
// As Jackson does, it leaves <, > and & unescaped.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		// Every entity the API writes is plain data; failing to encode one
		// is a programming error, reported like any unexpected error.
		status = http.StatusInternalServerError
		buf.Reset()
		_ = json.NewEncoder(&buf).Encode(errorBody{ErrorCode: status, Message: "encode response: " + err.Error()})
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()-1))
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes()[:buf.Len()-1])
}

// WriteError writes Kafka Connect's error entity with the given status and
// message.
func WriteError(w http.ResponseWriter, status int, msg string) {
	WriteJSON(w, status, errorBody{ErrorCode: status, Message: msg})
}

// writeEmpty writes a response without a body.
func writeEmpty(w http.ResponseWriter, status int) {
	w.WriteHeader(status)
}

// readBody reads the request body as one JSON value, numbers as
// json.Number. present is false when the body is empty or blank. Malformed
// JSON gives a 400 saying what is wrong and where; a body larger than limit
// gives a 413.
func readBody(w http.ResponseWriter, r *http.Request, limit int64) (val any, present bool, err error) {
	body, err := readRawBody(w, r, limit)
	if err != nil {
		return nil, false, err
	}
	return parseBody(body)
}

// readRawBody reads the request body's bytes, up to limit (413 beyond).
func readRawBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, errorf(http.StatusRequestEntityTooLarge, "Request body is larger than %d bytes", limit)
		}
		return nil, errorf(http.StatusBadRequest, "Could not read the request body: %v", err)
	}
	return body, nil
}

// parseBody is readBody's decoding of a body already read.
func parseBody(body []byte) (val any, present bool, err error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, false, nil
	}
	// Unmarshal checks the whole input, trailing data included, and
	// reports where it went wrong.
	var raw json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil {
		var syn *json.SyntaxError
		if errors.As(err, &syn) {
			line, col := position(body, syn.Offset)
			return nil, false, errorf(http.StatusBadRequest, "Invalid JSON in request body at line %d, column %d: %s", line, col, syn.Error())
		}
		return nil, false, errorf(http.StatusBadRequest, "Invalid JSON in request body: %v", err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&val); err != nil {
		return nil, false, errorf(http.StatusBadRequest, "Invalid JSON in request body: %v", err)
	}
	return val, true, nil
}

// position converts a byte offset into a 1-based line and column.
func position(body []byte, off int64) (line, col int) {
	if off > int64(len(body)) {
		off = int64(len(body))
	}
	before := body[:off]
	line = 1 + bytes.Count(before, []byte{'\n'})
	col = int(off) - bytes.LastIndexByte(before, '\n') - 1
	if col < 1 {
		col = 1
	}
	return line, col
}

// jsonKind names the JSON type of a decoded value, for error messages.
func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case json.Number:
		return "a number"
	case bool:
		return "a boolean"
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}

// badType is the 400 for a JSON value of the wrong type at where ("the
// request body", `"config"` …).
func badType(where, want string, got any) error {
	return errorf(http.StatusBadRequest, "Cannot deserialize %s: expected %s, got %s", where, want, jsonKind(got))
}

// asObject returns v as a JSON object.
func asObject(v any, where string) (map[string]any, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, badType(where, "an object", v)
	}
	return m, nil
}

// scalarString converts a JSON scalar to a config value as Jackson does for
// a Map<String, String>: strings as they are, numbers as written, booleans
// as true/false. ok is false for null; objects and arrays are an error.
func scalarString(v any, where string) (s string, ok bool, err error) {
	switch x := v.(type) {
	case nil:
		return "", false, nil
	case string:
		return x, true, nil
	case json.Number:
		return x.String(), true, nil
	case bool:
		return strconv.FormatBool(x), true, nil
	}
	return "", false, badType(where, "a string", v)
}

// configMap converts a JSON object to a connector config. Keys whose value
// is null are returned in nulls, not in config.
func configMap(v any, where string) (config map[string]string, nulls []string, err error) {
	m, err := asObject(v, where)
	if err != nil {
		return nil, nil, err
	}
	config = make(map[string]string, len(m))
	for k, raw := range m {
		s, ok, err := scalarString(raw, fmt.Sprintf("the value of %q", k))
		if err != nil {
			return nil, nil, err
		}
		if !ok {
			nulls = append(nulls, k)
			continue
		}
		config[k] = s
	}
	return config, nulls, nil
}

// plainJSON replaces the json.Number values in v by int64 (integers that
// fit) or float64, recursively, the way offsets are handed to the herder.
func plainJSON(v any) any {
	switch x := v.(type) {
	case json.Number:
		if i, err := strconv.ParseInt(x.String(), 10, 64); err == nil {
			return i
		}
		if f, err := x.Float64(); err == nil && !math.IsInf(f, 0) {
			return f
		}
		return x.String()
	case map[string]any:
		for k, e := range x {
			x[k] = plainJSON(e)
		}
		return x
	case []any:
		for i, e := range x {
			x[i] = plainJSON(e)
		}
		return x
	}
	return v
}
