package convert

import (
	"testing"

	"conflux/connectors"
)

// usersSchema is shaped like datagen's users quickstart.
var usersSchema = connectors.StructSchema().Name("ksql.users").
	Field("registertime", connectors.Int64Schema).
	Field("userid", connectors.StringSchema).
	Field("regionid", connectors.StringSchema).
	Field("gender", connectors.StringSchema).
	MustBuild()

func usersValue() *connectors.Struct {
	return connectors.NewStruct(usersSchema).
		Put("registertime", int64(1493819497170)).
		Put("userid", "User_1").
		Put("regionid", "Region_5").
		Put("gender", "FEMALE")
}

func BenchmarkJSONFromConnect(b *testing.B) {
	for _, bc := range []struct {
		name   string
		config map[string]string
	}{
		{"schemas=true", nil},
		{"schemas=false", map[string]string{"schemas.enable": "false"}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			c := newJSON(b, bc.config)
			v := usersValue()
			headers := &connectors.RawHeaders{}
			out, err := c.FromConnectData("users", headers, usersSchema, v)
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(len(out)))
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if _, err := c.FromConnectData("users", headers, usersSchema, v); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkJSONFromConnectParallel(b *testing.B) {
	c := newJSON(b, nil)
	v := usersValue()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		headers := &connectors.RawHeaders{}
		for pb.Next() {
			if _, err := c.FromConnectData("users", headers, usersSchema, v); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

func BenchmarkJSONToConnect(b *testing.B) {
	for _, bc := range []struct {
		name   string
		config map[string]string
	}{
		{"schemas=true", nil},
		{"schemas=false", map[string]string{"schemas.enable": "false"}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			c := newJSON(b, bc.config)
			data, err := c.FromConnectData("users", &connectors.RawHeaders{}, usersSchema, usersValue())
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if _, _, err := c.ToConnectData("users", nil, data); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
