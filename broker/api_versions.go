package broker

import "github.com/twmb/franz-go/pkg/kmsg"

// apiVersionsKey is ApiVersions' API key; its responses always use response
// header v0 (KIP-511).
const apiVersionsKey = 18

func init() { register(apiVersionsKey, 0, 3, handleAPIVersions) }

func handleAPIVersions(_ *conn, req kmsg.Request) response {
	return now(apiVersionsResponse(req.GetVersion(), 0))
}

// apiVersionsResponse lists every registered API with its version range.
func apiVersionsResponse(version, errorCode int16) *kmsg.ApiVersionsResponse {
	resp := kmsg.NewPtrApiVersionsResponse()
	resp.Version = version
	resp.ErrorCode = errorCode
	for _, h := range handlers {
		if h == nil {
			continue
		}
		k := kmsg.NewApiVersionsResponseApiKey()
		k.ApiKey, k.MinVersion, k.MaxVersion = h.key, h.min, h.max
		resp.ApiKeys = append(resp.ApiKeys, k)
	}
	return resp
}
