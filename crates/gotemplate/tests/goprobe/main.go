// Command goprobe runs the template cases of ../cases.json through Go's
// text/template with Helm's engine setup (missingkey=zero, include, tpl with
// Helm's recursion bound, required, fail, Sprig v3) and writes what Go printed to
// ../expected.json. The Rust tests compare the gotemplate crate against that file.
package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"text/template"

	"github.com/Masterminds/sprig/v3"
)

type testCase struct {
	Name  string      `json:"name"`
	Files [][2]string `json:"files"`
	Exec  string      `json:"exec"`
	Data  any         `json:"data"`
}

type result struct {
	Name string  `json:"name"`
	Out  *string `json:"out,omitempty"`
	Err  *string `json:"err,omitempty"`
}

func includeFun(t *template.Template, included map[string]int) func(string, any) (string, error) {
	return func(name string, data any) (string, error) {
		var buf strings.Builder
		if v, ok := included[name]; ok {
			if v > 1000 {
				return "", fmt.Errorf("rendering template has a nested reference name: %s: %w", name, errors.New("unable to execute template"))
			}
			included[name]++
		} else {
			included[name] = 1
		}
		err := t.ExecuteTemplate(&buf, name, data)
		included[name]--
		return buf.String(), err
	}
}

func tplFun(parent *template.Template, included map[string]int) func(string, any) (string, error) {
	return func(text string, vals any) (string, error) {
		t, err := parent.Clone()
		if err != nil {
			return "", fmt.Errorf("cannot clone template: %w", err)
		}
		t.Option("missingkey=zero")
		t.Funcs(template.FuncMap{"include": includeFun(t, included), "tpl": tplFun(t, included)})
		t, err = t.New(parent.Name()).Parse(text)
		if err != nil {
			return "", fmt.Errorf("cannot parse template %q: %w", text, err)
		}
		var buf strings.Builder
		if err := t.Execute(&buf, vals); err != nil {
			return "", fmt.Errorf("error during tpl function execution for %q: %w", text, err)
		}
		return strings.ReplaceAll(buf.String(), "<no value>", ""), nil
	}
}

func run(c testCase) (string, error) {
	t := template.New("gotpl").Option("missingkey=zero")
	funcs := sprig.TxtFuncMap()
	included := map[string]int{}
	funcs["include"] = includeFun(t, included)
	funcs["tpl"] = tplFun(t, included)
	funcs["required"] = func(warn string, val any) (any, error) {
		if val == nil {
			return val, errors.New(warn)
		} else if s, ok := val.(string); ok && s == "" {
			return val, errors.New(warn)
		}
		return val, nil
	}
	funcs["fail"] = func(msg string) (string, error) { return "", errors.New(msg) }
	t.Funcs(funcs)
	for _, f := range c.Files {
		if _, err := t.New(f[0]).Parse(f[1]); err != nil {
			return "", err
		}
	}
	var buf strings.Builder
	err := t.ExecuteTemplate(&buf, c.Exec, c.Data)
	return buf.String(), err
}

func main() {
	raw, err := os.ReadFile("../cases.json")
	if err != nil {
		panic(err)
	}
	var cases []testCase
	if err := json.Unmarshal(raw, &cases); err != nil {
		panic(err)
	}
	var results []result
	for _, c := range cases {
		out, err := run(c)
		r := result{Name: c.Name}
		if err != nil {
			s := err.Error()
			r.Err = &s
		} else {
			r.Out = &out
		}
		results = append(results, r)
	}
	b, _ := json.MarshalIndent(results, "", "  ")
	path := "../expected.json"
	if len(os.Args) > 1 {
		path = os.Args[1]
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		panic(err)
	}
}
