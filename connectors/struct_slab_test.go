package connectors

import "testing"

// TestStructSlabMakesIndependentStructs checks Structs from a slab behave
// as NewStruct's: every field null, and fields of one never show in
// another carved next to it.
func TestStructSlabMakesIndependentStructs(t *testing.T) {
	s := StructSchema().Field("a", OptionalStringSchema).Field("b", OptionalInt64Schema).MustBuild()
	var slab StructSlab
	var made []*Struct
	for i := range 600 { // more than one array of each
		st := slab.New(s)
		if st.Get("a") != nil || st.Get("b") != nil {
			t.Fatalf("struct %d is not all null: %v", i, st)
		}
		st.Put("b", int64(i))
		made = append(made, st)
	}
	for i, st := range made {
		if got := st.Get("b"); got != int64(i) || st.Get("a") != nil || st.Schema() != s {
			t.Fatalf("struct %d holds %v, %v: another struct's fields leaked into it", i, got, st.Get("a"))
		}
		if err := st.Validate(); err != nil {
			t.Fatal(err)
		}
	}
	defer func() {
		if recover() == nil {
			t.Fatal("a slab Struct of a non-struct schema did not panic")
		}
	}()
	slab.New(StringSchema)
}
