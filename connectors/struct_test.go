package connectors

import "testing"

func TestStruct(t *testing.T) {
	s := StructSchema().Field("id", Int32Schema).Field("name", OptionalStringSchema).
		Field("n", NewSchemaBuilder(TypeInt64).Default(int64(7)).MustBuild()).MustBuild()
	st := NewStruct(s).Put("id", int32(1))
	if st.Get("id") != int32(1) || st.Get("name") != nil || st.Get("n") != int64(7) || st.At(2) != nil || st.Get("zzz") != nil {
		t.Fatal("Get")
	}
	if err := st.Validate(); err != nil {
		t.Fatal(err)
	}
	if st.String() != "Struct{id=1}" {
		t.Fatal(st.String())
	}
	c := st.Copy()
	c.SetAt(1, "x")
	if st.Get("name") != nil || c.Get("name") != "x" || c.Schema() != s {
		t.Fatal("Copy shares values")
	}
	if st.Equal(c) || !st.Equal(st.Copy()) {
		t.Fatal("Equal")
	}
	for name, f := range map[string]func(){
		"unknown field": func() { st.Put("zzz", 1) },
		"not struct":    func() { NewStruct(Int32Schema) },
		"nil":           func() { NewStruct(nil) },
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Fatal("no panic")
				}
			}()
			f()
		})
	}
}
