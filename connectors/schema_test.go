package connectors

import (
	"errors"
	"strings"
	"testing"
)

func TestTypeNames(t *testing.T) {
	for ty := TypeInt8; ty <= TypeStruct; ty++ {
		back, ok := ParseType(ty.Name())
		if !ok || back != ty || ty.String() != strings.ToUpper(ty.Name()) {
			t.Errorf("%d: %s/%s round trip failed", ty, ty.Name(), ty)
		}
	}
	if TypeFloat32.Name() != "float32" || TypeInt32.String() != "INT32" || Type(0).Valid() || Type(99).Name() != "unknown" {
		t.Error("unexpected names")
	}
	if _, ok := ParseType("float"); ok {
		t.Error("float is a JSON converter name, not a type name")
	}
}

func TestSchemaBuilder(t *testing.T) {
	s := StructSchema().Name("rec").Version(2).Doc("a record").Param("k", "v").
		Field("id", Int32Schema).
		Field("ts", TimestampSchema().Optional().MustBuild()).
		Field("tags", ArraySchema(StringSchema).Optional().MustBuild()).
		Field("attrs", MapSchema(StringSchema, Int64Schema).MustBuild()).
		Field("price", DecimalSchema(2).MustBuild()).
		MustBuild()
	if s.Type != TypeStruct || s.Name != "rec" || s.Version != 2 || s.Doc != "a record" || s.Parameters["k"] != "v" ||
		len(s.Fields) != 5 || s.FieldIndex("tags") != 2 || s.Field("nope") != nil || s.Field("ts").Schema.Name != TimestampName {
		t.Fatalf("unexpected schema %+v", s)
	}
	if p := s.Field("price").Schema; p.Type != TypeBytes || p.Parameters[DecimalScaleParam] != "2" || p.Version != 1 {
		t.Fatalf("decimal schema %+v", p)
	}
	if s.String() != "Schema{rec:STRUCT}" || Int32Schema.String() != "Schema{INT32}" {
		t.Fatalf("String() = %s", s)
	}
}

func TestSchemaBuilderErrors(t *testing.T) {
	tests := map[string]*SchemaBuilder{
		"duplicate field":    StructSchema().Field("a", Int32Schema).Field("a", StringSchema),
		"field on primitive": NewSchemaBuilder(TypeInt32).Field("a", Int32Schema),
		"nil field schema":   StructSchema().Field("a", nil),
		"bad default":        NewSchemaBuilder(TypeInt32).Default("x"),
		"nil items":          ArraySchema(nil),
		"invalid type":       NewSchemaBuilder(Type(42)),
	}
	for name, b := range tests {
		t.Run(name, func(t *testing.T) {
			if _, err := b.Build(); err == nil || !errors.Is(err, ErrData) {
				t.Fatalf("got %v", err)
			}
			defer func() {
				if recover() == nil {
					t.Fatal("MustBuild did not panic")
				}
			}()
			b.MustBuild()
		})
	}
	_, err := StructSchema().Field("a", Int32Schema).Field("a", StringSchema).Build()
	if !strings.Contains(err.Error(), "cannot create field because of field name duplication a") {
		t.Fatal(err)
	}
}

func TestSchemaEqual(t *testing.T) {
	mk := func() *Schema {
		return StructSchema().Name("x").Field("a", Int32Schema).Field("b", NewSchemaBuilder(TypeString).Optional().Default("d").MustBuild()).MustBuild()
	}
	a, b := mk(), mk()
	if !a.Equal(b) || a == b {
		t.Fatal("equal schemas differ")
	}
	c := b.Copy()
	c.Fields[1] = Field{Name: "b", Schema: OptionalStringSchema}
	if a.Equal(c) || !a.Equal(b) {
		t.Fatal("Copy shares fields or Equal ignores defaults")
	}
	var nilSchema *Schema
	if !nilSchema.Equal(nil) || nilSchema.Equal(a) || a.Equal(nil) {
		t.Fatal("nil handling")
	}
	d := mk()
	d.Parameters = map[string]string{"p": "1"}
	if a.Equal(d) {
		t.Fatal("parameters ignored")
	}
}

func TestSchemaEqualSelfReferentialDefault(t *testing.T) {
	mk := func() *Schema {
		s := StructSchema().Field("a", Int32Schema).MustBuild()
		s.Default = NewStruct(s).Put("a", int32(1))
		return s
	}
	a, b := mk(), mk()
	if !a.Equal(b) {
		t.Fatal("equal self-referential defaults differ")
	}
	b.Default.(*Struct).Put("a", int32(2))
	if a.Equal(b) {
		t.Fatal("different defaults compare equal")
	}
}
