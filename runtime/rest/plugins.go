package rest

import (
	"context"
	"net/http"
	"strings"

	"conflux/configs"
	"conflux/connectors"
)

// pluginInfo is Kafka Connect's PluginInfo entity; version is omitted when
// the plugin has none ("undefined" in Kafka).
type pluginInfo struct {
	Class   string `json:"class"`
	Type    string `json:"type"`
	Version string `json:"version,omitempty"`
}

// listPlugins answers GET /connector-plugins: the connector plugins, or
// with connectorsOnly=false every plugin.
func (a *api) listPlugins(w http.ResponseWriter, r *http.Request) error {
	var types []connectors.PluginType
	if queryBool(r, "connectorsOnly", true) {
		types = []connectors.PluginType{connectors.PluginSource, connectors.PluginSink}
	}
	plugins := a.reg.List(types...)
	out := make([]pluginInfo, 0, len(plugins))
	for _, p := range plugins {
		out = append(out, pluginInfo{Class: p.Class(), Type: string(p.Type), Version: p.Version})
	}
	WriteJSON(w, http.StatusOK, out)
	return nil
}

// pluginConfig answers GET /connector-plugins/{plugin}/config: the
// plugin's keys and, for connectors, then the framework's keys, as
// ConfigKeyInfo entities. 404 for an unknown plugin.
func (a *api) pluginConfig(w http.ResponseWriter, r *http.Request) error {
	name := param(r, "plugin")
	p, err := a.reg.Lookup(name)
	if err != nil {
		return errorf(http.StatusNotFound, "Unknown plugin %s.", name)
	}
	out := []configs.KeyInfo{}
	var framework *configs.Def
	if p.Type == connectors.PluginSource || p.Type == connectors.PluginSink {
		framework = a.validator.FrameworkDef(p.Type)
	}
	if p.ConfigDef != nil {
		for _, k := range p.ConfigDef.Keys() {
			if framework != nil {
				if _, dup := framework.Key(k.Name); dup {
					continue // the framework's definition wins, as in validation
				}
			}
			out = append(out, k.KeyInfo())
		}
	}
	if framework != nil {
		out = append(out, framework.KeyInfos()...)
	}
	WriteJSON(w, http.StatusOK, out)
	return nil
}

// normalizedPluginName drops a "Connector" suffix, as Kafka Connect does
// when it compares connector class names.
func normalizedPluginName(s string) string {
	const suffix = "Connector"
	if len(s) > len(suffix) && strings.HasSuffix(s, suffix) {
		return s[:len(s)-len(suffix)]
	}
	return s
}

// sameConnector reports whether connector.class names the plugin of the
// request path: the same registered plugin under any of its names, or, for
// names the registry does not know, Kafka's rule (the class ends with the
// requested name, Connector suffixes ignored).
func (a *api) sameConnector(class, requested string) bool {
	pc, errC := a.reg.Lookup(strings.TrimSpace(class))
	pr, errR := a.reg.Lookup(requested)
	if errC == nil && errR == nil {
		return pc.Name == pr.Name
	}
	return strings.HasSuffix(normalizedPluginName(strings.TrimSpace(class)), normalizedPluginName(requested))
}

// validateConfig answers PUT /connector-plugins/{plugin}/config/validate:
// 200 with ConfigInfos, errors included. 400 for a bad body, a config
// without connector.class, an unknown connector class, or a
// connector.class naming another plugin than the path.
func (a *api) validateConfig(w http.ResponseWriter, r *http.Request) error {
	plugin := param(r, "plugin")
	v, present, err := readBody(w, r, a.maxBody)
	if err != nil {
		return err
	}
	if !present {
		return errorf(http.StatusBadRequest, "Request body is missing: expected the connector's config as a JSON object")
	}
	config, nulls, err := configMap(v, "the request body")
	if err != nil {
		return err
	}
	if class, ok := config[configs.KeyConnectorClass]; ok && !a.sameConnector(class, plugin) {
		return errorf(http.StatusBadRequest, "Included connector type %s does not match request type %s", class, plugin)
	}
	var infos configs.ConfigInfos
	if err := a.call(r, herderMessages{}, func(ctx context.Context) (err error) {
		infos, err = a.validator.Validate(ctx, config, nulls...)
		return err
	}); err != nil {
		return err
	}
	WriteJSON(w, http.StatusOK, infos)
	return nil
}
