package configs

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"strings"
	"testing"
)

func testDef() *Def {
	return NewDef(
		Key{Name: "b", Type: TypeBoolean, Default: false},
		Key{Name: "s", Type: TypeString, Default: "x"},
		Key{Name: "i", Type: TypeInt, Default: 1, Validator: AtLeast(1)},
		Key{Name: "sh", Type: TypeShort, Default: 3},
		Key{Name: "l", Type: TypeLong, Default: int64(60000)},
		Key{Name: "d", Type: TypeDouble, Default: 0.5},
		Key{Name: "li", Type: TypeList, Default: "a, b"},
		Key{Name: "c", Type: TypeClass},
		Key{Name: "p", Type: TypePassword},
		Key{Name: "req", Type: TypeString, Default: NoDefault},
	)
}

func TestParseTypes(t *testing.T) {
	v, err := testDef().Parse(map[string]string{
		"b": " TRUE ", "s": "  hello ", "i": "42", "sh": "-7", "l": "9223372036854775807",
		"d": "1e3", "li": "x ,y,  z", "c": "org.Foo", "p": "secret", "req": "r", "unknown": "kept",
	})
	if err != nil {
		t.Fatal(err)
	}
	if !v.Bool("b") || v.String("s") != "hello" || v.Int("i") != 42 || v.Short("sh") != -7 ||
		v.Long("l") != 9223372036854775807 || v.Double("d") != 1000 || v.Class("c") != "org.Foo" ||
		v.Password("p").Value() != "secret" || v.String("req") != "r" {
		t.Fatalf("unexpected values: %v", v.vals)
	}
	if got := v.List("li"); !reflect.DeepEqual(got, []string{"x", "y", "z"}) {
		t.Fatalf("list = %q", got)
	}
	if v.Originals()["unknown"] != "kept" || !v.IsSet("b") || v.IsSet("nope") {
		t.Fatal("originals not kept")
	}
}

func TestParseDefaults(t *testing.T) {
	v, err := testDef().Parse(map[string]string{"req": "r"})
	if err != nil {
		t.Fatal(err)
	}
	if v.Bool("b") || v.String("s") != "x" || v.Int("i") != 1 || v.Short("sh") != 3 || v.Long("l") != 60000 ||
		v.Double("d") != 0.5 || v.Class("c") != "" || v.Get("c") != nil || v.Get("p") != nil {
		t.Fatalf("unexpected defaults: %v", v.vals)
	}
	if got := v.List("li"); !reflect.DeepEqual(got, []string{"a", "b"}) {
		t.Fatalf("default list = %q", got)
	}
	if v.IsSet("s") {
		t.Fatal("IsSet true for a default")
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		key, value, want string
	}{
		{"i", "abc", "Invalid value abc for configuration i: Not a number of type INT"},
		{"i", "3000000000", "Invalid value 3000000000 for configuration i: Not a number of type INT"},
		{"i", "0", "Invalid value 0 for configuration i: Value must be at least 1"},
		{"sh", "40000", "Invalid value 40000 for configuration sh: Not a number of type SHORT"},
		{"l", "1.5", "Invalid value 1.5 for configuration l: Not a number of type LONG"},
		{"d", "x", "Invalid value x for configuration d: Not a number of type DOUBLE"},
		{"b", "yes", "Invalid value yes for configuration b: Expected value to be either true or false"},
	}
	for _, tt := range tests {
		_, err := testDef().Parse(map[string]string{"req": "r", tt.key: tt.value})
		if err == nil || err.Error() != tt.want {
			t.Errorf("%s=%s: got %v, want %q", tt.key, tt.value, err, tt.want)
			continue
		}
		var ce *Error
		if !errors.As(err, &ce) || ce.Key != tt.key || !errors.Is(err, ErrInvalidValue) {
			t.Errorf("%s=%s: not an *Error for the key: %#v", tt.key, tt.value, err)
		}
	}
}

func TestParseMissingRequired(t *testing.T) {
	d := NewDef(Key{Name: "kafka.topic", Type: TypeString, Default: NoDefault})
	_, err := d.Parse(nil)
	want := `Missing required configuration "kafka.topic" which has no default value.`
	if err == nil || err.Error() != want || !errors.Is(err, ErrMissing) {
		t.Fatalf("got %v, want %q", err, want)
	}
}

func TestParseJoinsErrorsInOrder(t *testing.T) {
	_, err := testDef().Parse(map[string]string{"i": "x", "b": "y"})
	want := "Invalid value y for configuration b: Expected value to be either true or false\n" +
		"Invalid value x for configuration i: Not a number of type INT\n" +
		`Missing required configuration "req" which has no default value.`
	if err == nil || err.Error() != want {
		t.Fatalf("got %q\nwant %q", err, want)
	}
	if !errors.Is(err, ErrMissing) || !errors.Is(err, ErrInvalidValue) {
		t.Fatal("joined error lost its kinds")
	}
}

func TestSecretsNeverShown(t *testing.T) {
	d := NewDef(
		Key{Name: "p", Type: TypePassword, Validator: ValidatorFunc(func(string, any) error { return errors.New("too short") })},
		Key{Name: "n", Type: TypeInt},
	)
	_, err := d.Parse(map[string]string{"p": "hunter2", "n": "s3cret"}, WithSecrets(map[string]bool{"n": true}))
	if err == nil || strings.Contains(err.Error(), "hunter2") || strings.Contains(err.Error(), "s3cret") {
		t.Fatalf("secret leaked: %v", err)
	}
	want := "Invalid value [hidden] for configuration n: Not a number of type INT"
	if !strings.Contains(err.Error(), want) {
		t.Fatalf("got %v", err)
	}
}

func TestPasswordNeverPrints(t *testing.T) {
	p := NewPassword("hunter2")
	var logBuf bytes.Buffer
	slog.New(slog.NewTextHandler(&logBuf, nil)).Info("x", "p", p)
	js, _ := json.Marshal(struct{ P Password }{p})
	txt, _ := p.MarshalText()
	outs := []string{
		fmt.Sprint(p), fmt.Sprintf("%v %+v %#v %s %q %x", p, p, p, p, p, p),
		fmt.Sprintf("%+v", struct{ P Password }{p}), fmt.Sprintf("%#v", struct{ P Password }{p}),
		string(js), string(txt), logBuf.String(),
	}
	for _, o := range outs {
		if strings.Contains(o, "hunter2") || strings.Contains(o, "68756e74657232") {
			t.Fatalf("secret leaked: %s", o)
		}
		if !strings.Contains(o, "[hidden]") {
			t.Fatalf("no [hidden] in %s", o)
		}
	}
	if p.Value() != "hunter2" {
		t.Fatal("Value lost the secret")
	}
}

func TestDefinePanics(t *testing.T) {
	tests := map[string]func(){
		"empty name":      func() { NewDef(Key{Type: TypeString}) },
		"duplicate":       func() { NewDef(Key{Name: "a", Type: TypeString}, Key{Name: "a", Type: TypeInt}) },
		"no type":         func() { NewDef(Key{Name: "a"}) },
		"bad default":     func() { NewDef(Key{Name: "a", Type: TypeInt, Default: "x"}) },
		"wrong go type":   func() { NewDef(Key{Name: "a", Type: TypeInt, Default: 1.5}) },
		"default invalid": func() { NewDef(Key{Name: "a", Type: TypeInt, Default: 0, Validator: AtLeast(1)}) },
	}
	for name, f := range tests {
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

func TestGetterPanics(t *testing.T) {
	v, err := testDef().Parse(map[string]string{"req": "r"})
	if err != nil {
		t.Fatal(err)
	}
	for name, f := range map[string]func(){
		"undefined":  func() { v.String("zzz") },
		"wrong type": func() { v.Int("s") },
		"password":   func() { v.String("p") },
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

func TestOrderInGroupAndMerge(t *testing.T) {
	a := NewDef(
		Key{Name: "a1", Type: TypeString, Group: "A"},
		Key{Name: "b1", Type: TypeString, Group: "B"},
		Key{Name: "a2", Type: TypeString, Group: "A"},
		Key{Name: "n", Type: TypeString},
		Key{Name: "a9", Type: TypeString, Group: "A", OrderInGroup: 9},
	)
	want := map[string]int{"a1": 1, "b1": 1, "a2": 2, "n": -1, "a9": 9}
	for _, k := range a.Keys() {
		if k.OrderInGroup != want[k.Name] {
			t.Errorf("%s: order %d, want %d", k.Name, k.OrderInGroup, want[k.Name])
		}
	}
	b := NewDef(Key{Name: "c1", Type: TypeInt, Group: "C"}, Key{Name: "a1", Type: TypeInt, Group: "Z"})
	m := Merge(a, b)
	if got := m.Groups(); !reflect.DeepEqual(got, []string{"A", "B", "C"}) {
		t.Fatalf("groups %q", got)
	}
	if k, _ := m.Key("a1"); k.Type != TypeString {
		t.Fatal("later definition replaced the first")
	}
	if got := m.Names(); !reflect.DeepEqual(got, []string{"a1", "b1", "a2", "n", "a9", "c1"}) {
		t.Fatalf("names %q", got)
	}
}

func TestWithPrefix(t *testing.T) {
	got := WithPrefix(map[string]string{"value.converter.schemas.enable": "false", "value.converter": "x", "key.converter.a": "b"}, PrefixValueConverter)
	if !reflect.DeepEqual(got, map[string]string{"schemas.enable": "false"}) {
		t.Fatalf("got %v", got)
	}
}
