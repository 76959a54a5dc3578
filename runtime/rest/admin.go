package rest

import (
	"context"
	"net/http"
	"strings"

	"conflux/runtime/rest/loggers"
)

// listLoggers answers GET /admin/loggers: every known logger, root
// included, with its level and last modification time.
func (a *api) listLoggers(w http.ResponseWriter, _ *http.Request) error {
	WriteJSON(w, http.StatusOK, a.loggers.Levels())
	return nil
}

// getLogger answers GET /admin/loggers/{logger}; 404 for an unknown
// logger.
func (a *api) getLogger(w http.ResponseWriter, r *http.Request) error {
	name := param(r, "logger")
	l, ok := a.loggers.Level(name)
	if !ok {
		return errorf(http.StatusNotFound, "Logger %s not found.", name)
	}
	WriteJSON(w, http.StatusOK, l)
	return nil
}

// setLogger answers PUT /admin/loggers/{logger} with {"level":"DEBUG"}:
// 200 with the sorted names of the loggers it changed; with
// scope=cluster, 204 after asking the herder to apply the level on every
// worker (see ClusterLoggerSetter). 400 without a level, 404 for a level
// that is not a log4j level name, as in Kafka Connect.
func (a *api) setLogger(w http.ResponseWriter, r *http.Request) error {
	name := param(r, "logger")
	v, present, err := readBody(w, r, a.maxBody)
	if err != nil {
		return err
	}
	var levelStr string
	if present {
		body, err := asObject(v, "the request body")
		if err != nil {
			return err
		}
		s, ok, err := scalarString(body["level"], `"level"`)
		if err != nil {
			return err
		}
		if ok {
			levelStr = s
		} else {
			present = false
		}
	}
	if !present {
		return errorf(http.StatusBadRequest, "%s", msgNoLevel)
	}
	level, ok := loggers.ParseLevel(levelStr)
	if !ok {
		return errorf(http.StatusNotFound, "invalid log level '%s'.", levelStr)
	}
	if strings.EqualFold(r.URL.Query().Get("scope"), "cluster") {
		if cs, ok := a.herder.(ClusterLoggerSetter); ok {
			if err := a.call(r, herderMessages{}, func(ctx context.Context) error {
				return cs.SetClusterLoggerLevel(ctx, name, loggers.LevelName(level))
			}); err != nil {
				return err
			}
		} else {
			a.loggers.SetLevel(name, level)
		}
		writeEmpty(w, http.StatusNoContent)
		return nil
	}
	WriteJSON(w, http.StatusOK, a.loggers.SetLevel(name, level))
	return nil
}
