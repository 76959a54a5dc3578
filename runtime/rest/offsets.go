package rest

import (
	"context"
	"fmt"
	"net/http"

	"conflux/runtime"
)

// message is Kafka Connect's Message entity.
type message struct {
	Message string `json:"message"`
}

// connectorOffsets answers GET /connectors/{connector}/offsets.
func (a *api) connectorOffsets(w http.ResponseWriter, r *http.Request) error {
	name := param(r, "connector")
	var offsets runtime.ConnectorOffsets
	if err := a.call(r, notFound(name), func(ctx context.Context) (err error) {
		offsets, err = a.herder.ConnectorOffsets(ctx, name)
		return err
	}); err != nil {
		return err
	}
	if offsets.Offsets == nil {
		offsets.Offsets = []runtime.PartitionOffset{}
	}
	WriteJSON(w, http.StatusOK, offsets)
	return nil
}

// parseOffsets decodes {"offsets":[{"partition":{…},"offset":{…}|null}]}.
// Numbers become int64 when integral, else float64.
func parseOffsets(v any) (runtime.ConnectorOffsets, error) {
	var out runtime.ConnectorOffsets
	body, err := asObject(v, "the request body")
	if err != nil {
		return out, err
	}
	list, ok := body["offsets"].([]any)
	if !ok && body["offsets"] != nil {
		return out, badType(`"offsets"`, "an array", body["offsets"])
	}
	for i, e := range list {
		where := fmt.Sprintf(`"offsets"[%d]`, i)
		po, err := asObject(e, where)
		if err != nil {
			return out, err
		}
		var p runtime.PartitionOffset
		if raw := po["partition"]; raw != nil {
			if p.Partition, err = asObject(plainJSON(raw), where+`.partition`); err != nil {
				return out, err
			}
		}
		if raw := po["offset"]; raw != nil {
			if p.Offset, err = asObject(plainJSON(raw), where+`.offset`); err != nil {
				return out, err
			}
		}
		out.Offsets = append(out.Offsets, p)
	}
	return out, nil
}

// alterConnectorOffsets answers PATCH /connectors/{connector}/offsets with
// 200 and the herder's message.
func (a *api) alterConnectorOffsets(w http.ResponseWriter, r *http.Request) error {
	name := param(r, "connector")
	v, present, err := readBody(w, r, a.maxBody)
	if err != nil {
		return err
	}
	if !present {
		return errorf(http.StatusBadRequest, "%s", msgNoOffsets)
	}
	offsets, err := parseOffsets(v)
	if err != nil {
		return err
	}
	if len(offsets.Offsets) == 0 {
		return errorf(http.StatusBadRequest, "%s", msgNoOffsets)
	}
	var msg string
	if err := a.call(r, notFound(name), func(ctx context.Context) (err error) {
		msg, err = a.herder.AlterConnectorOffsets(ctx, name, offsets)
		return err
	}); err != nil {
		return err
	}
	WriteJSON(w, http.StatusOK, message{Message: msg})
	return nil
}

// resetConnectorOffsets answers DELETE /connectors/{connector}/offsets with
// 200 and the herder's message.
func (a *api) resetConnectorOffsets(w http.ResponseWriter, r *http.Request) error {
	name := param(r, "connector")
	var msg string
	if err := a.call(r, notFound(name), func(ctx context.Context) (err error) {
		msg, err = a.herder.ResetConnectorOffsets(ctx, name)
		return err
	}); err != nil {
		return err
	}
	WriteJSON(w, http.StatusOK, message{Message: msg})
	return nil
}
