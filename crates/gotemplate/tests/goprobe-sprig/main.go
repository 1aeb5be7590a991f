// Probe: runs the cases of a JSON-lines file through Go's fmt and Sprig v3.3.0 (plus
// Helm's required) and writes each case back with Go's answer in "want". ketch's
// tests compare gotemplate's functions with these answers.
//
// Case: {"fmt": "%5.2f", "a": [...]} (fmt.Sprintf), {"print": true, "a": [...]}
// (fmt.Sprint), {"f": "trunc", "a": [...]} (a function of the map, called with
// typed arguments), {"tpl": "{{ ... }}"} (a whole template, for functions whose
// results are objects). Arguments: "s:text" string, "i:5" int, "I:5" int64,
// "f:1.5" float64, "b:true", "n" nil, "j:{...}" JSON as Helm reads values (numbers
// are float64), "t:2024-01-02T15:04:05Z" time.Time.
//
// Answers: "TYPE:VALUE" (%T, normalized to the types gotemplate has, and %v), or
// "ERR:message" (an error or panic, as text/template reports it).
//
//	cd tests/goprobe-sprig && TZ=UTC GOFLAGS=-mod=mod go run . < cases.jsonl > want.jsonl
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"reflect"
	"strconv"
	"strings"
	"text/template"
	"time"

	"github.com/Masterminds/sprig/v3"
)

type probeCase struct {
	Fmt   *string  `json:"fmt,omitempty"`
	Print bool     `json:"print,omitempty"`
	F     string   `json:"f,omitempty"`
	Tpl   *string  `json:"tpl,omitempty"`
	A     []string `json:"a"`
	Want  string   `json:"want"`
}

func funcs() template.FuncMap {
	f := sprig.TxtFuncMap()
	f["required"] = func(warn string, val interface{}) (interface{}, error) {
		if val == nil {
			return val, errors.New(warn)
		} else if _, ok := val.(string); ok {
			if val == "" {
				return val, errors.New(warn)
			}
		}
		return val, nil
	}
	return f
}

func arg(s string) interface{} {
	kind, text, _ := strings.Cut(s, ":")
	switch kind {
	case "s":
		return text
	case "i":
		n, _ := strconv.Atoi(text)
		return n
	case "I":
		n, _ := strconv.ParseInt(text, 10, 64)
		return n
	case "f":
		x, _ := strconv.ParseFloat(text, 64)
		return x
	case "b":
		return text == "true"
	case "j":
		var v interface{}
		if err := json.Unmarshal([]byte(text), &v); err != nil {
			panic(err)
		}
		return v
	case "t":
		t, err := time.Parse(time.RFC3339Nano, text)
		if err != nil {
			panic(err)
		}
		return t
	}
	return nil
}

func typeName(v interface{}) string {
	t := fmt.Sprintf("%T", v)
	switch t {
	case "[]string", "[]int", "[][]interface {}":
		return "[]interface {}"
	case "map[string]string":
		return "map[string]interface {}"
	}
	return t
}

func call(name string, args []interface{}) (out interface{}, err error) {
	defer func() {
		if r := recover(); r != nil {
			if e, ok := r.(error); ok {
				err = e
			} else {
				err = fmt.Errorf("%v", r)
			}
		}
	}()
	fn := reflect.ValueOf(funcs()[name])
	t := fn.Type()
	in := make([]reflect.Value, len(args))
	for i, a := range args {
		var pt reflect.Type
		if t.IsVariadic() && i >= t.NumIn()-1 {
			pt = t.In(t.NumIn() - 1).Elem()
		} else {
			pt = t.In(i)
		}
		if a == nil {
			in[i] = reflect.Zero(pt)
		} else {
			in[i] = reflect.ValueOf(a)
		}
	}
	res := fn.Call(in)
	if len(res) == 2 && !res[1].IsNil() {
		return nil, res[1].Interface().(error)
	}
	return res[0].Interface(), nil
}

func main() {
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 1<<20)
	out := json.NewEncoder(os.Stdout)
	out.SetEscapeHTML(false)
	for in.Scan() {
		line := strings.TrimSpace(in.Text())
		if line == "" {
			continue
		}
		var c probeCase
		if err := json.Unmarshal([]byte(line), &c); err != nil {
			panic(fmt.Sprintf("%s: %v", line, err))
		}
		args := make([]interface{}, len(c.A))
		for i, a := range c.A {
			args[i] = arg(a)
		}
		switch {
		case c.Fmt != nil:
			c.Want = fmt.Sprintf(*c.Fmt, args...)
		case c.Print:
			c.Want = fmt.Sprint(args...)
		case c.Tpl != nil:
			t, err := template.New("t").Option("missingkey=zero").Funcs(funcs()).Parse(*c.Tpl)
			if err != nil {
				c.Want = "ERR:" + err.Error()
				break
			}
			var b strings.Builder
			if err := t.Execute(&b, map[string]interface{}{"a": args}); err != nil {
				c.Want = "ERR:" + err.Error()
			} else {
				c.Want = b.String()
			}
		default:
			v, err := call(c.F, args)
			if err != nil {
				c.Want = "ERR:" + err.Error()
			} else if v == nil {
				c.Want = "<nil>:<nil>"
			} else {
				c.Want = typeName(v) + ":" + fmt.Sprint(v)
			}
		}
		if err := out.Encode(c); err != nil {
			panic(err)
		}
	}
}
