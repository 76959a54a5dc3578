package configs

import "testing"

func TestValidators(t *testing.T) {
	tests := []struct {
		name  string
		v     Validator
		value any
		want  string // "" = valid
	}{
		{"atleast ok", AtLeast(1), int32(1), ""},
		{"atleast low", AtLeast(1), int32(0), "Invalid value 0 for configuration k: Value must be at least 1"},
		{"atleast long", AtLeast(int64(-1)), int64(-2), "Invalid value -2 for configuration k: Value must be at least -1"},
		{"atleast double", AtLeast(0.5), 0.25, "Invalid value 0.25 for configuration k: Value must be at least 0.5"},
		{"between ok", Between(1, 10), int16(10), ""},
		{"between high", Between(1, 10), int32(11), "Invalid value 11 for configuration k: Value must be no more than 10"},
		{"between big", Between(int64(0), int64(9223372036854775806)), int64(9223372036854775807),
			"Invalid value 9223372036854775807 for configuration k: Value must be no more than 9223372036854775806"},
		{"validstring ok", ValidString("none", "all"), "all", ""},
		{"validstring bad", ValidString("none", "all"), "ALL", "Invalid value ALL for configuration k: String must be one of: none, all"},
		{"validstring ic ok", ValidStringIgnoreCase("BASE64", "NUMERIC"), "numeric", ""},
		{"validstring ic bad", ValidStringIgnoreCase("BASE64", "NUMERIC"), "hex",
			"Invalid value hex for configuration k: String must be one of (case insensitive): BASE64, NUMERIC"},
		{"validlist ok", ValidList("a", "b"), []string{"a", "b", "a"}, ""},
		{"validlist bad", ValidList("a", "b"), []string{"a", "c"}, "Invalid value c for configuration k: String must be one of: a, b"},
		{"nonempty ok", NonEmptyString(), "x", ""},
		{"nonempty bad", NonEmptyString(), "", "Invalid value  for configuration k: String must be non-empty"},
		{"name ok", NonEmptyStringWithoutControlChars(), "my-connector", ""},
		{"name empty", NonEmptyStringWithoutControlChars(), "", "Invalid value  for configuration k: String may not be empty"},
		{"name ctl", NonEmptyStringWithoutControlChars(), "a\nb\r", "Invalid value a\nb\r for configuration k: String may not contain control sequences but had the following ASCII chars: 10, 13"},
		{"regex ok", ValidRegex(), "orders-.*", ""},
		{"regex empty", ValidRegex(), "", ""},
		{"regex bad", ValidRegex(), "(", "Invalid value ( for configuration k: Invalid regex: error parsing regexp: missing closing ): `(`"},
		{"unique ok", UniqueList(), []string{"a", "b"}, ""},
		{"unique bad", UniqueList(), []string{"a", "a"}, "Invalid value a,a for configuration k: Duplicate alias provided."},
		{"all", All(NonEmptyString(), ValidString("x")), "y", "Invalid value y for configuration k: String must be one of: x"},
		{"or ok", Or(AtLeast(1), Between(-1, -1)), int32(-1), ""},
		{"or bad", Or(AtLeast(1), Between(-1, -1)), int32(0), "Invalid value 0 for configuration k: Value must be at least 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.v.Validate("k", tt.value)
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("unexpected error %v", err)
			case tt.want != "" && (err == nil || err.Error() != tt.want):
				t.Fatalf("got %v, want %q", err, tt.want)
			}
		})
	}
}

func TestValidatorDescriptions(t *testing.T) {
	tests := map[string]Validator{
		"[1,...]":          AtLeast(1),
		"[0,...,100]":      Between(0, 100),
		"[none, all]":      ValidString("none", "all"),
		"[a, b]":           ValidList("a", "b"),
		"non-empty string": NonEmptyString(),
	}
	for want, v := range tests {
		if got := Describe(v); got != want {
			t.Errorf("got %q, want %q", got, want)
		}
	}
	if Describe(ValidatorFunc(func(string, any) error { return nil })) != "" {
		t.Error("func validator has a description")
	}
}
