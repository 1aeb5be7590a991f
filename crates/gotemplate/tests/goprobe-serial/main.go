// Probe: reads tagged values / texts on stdin (one JSON per line), prints Helm's results.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"

	"github.com/BurntSushi/toml"
	yamlv3 "go.yaml.in/yaml/v3"
	"sigs.k8s.io/yaml"
)

type input struct {
	Op string          `json:"op"`
	V  json.RawMessage `json:"v"`
	S  string          `json:"s"`
}

func node(raw json.RawMessage) interface{} {
	var any interface{}
	if err := json.Unmarshal(raw, &any); err != nil {
		panic(err)
	}
	return conv(any)
}

func conv(x interface{}) interface{} {
	if x == nil {
		return nil
	}
	m := x.(map[string]interface{})
	for k, v := range m {
		switch k {
		case "b":
			return v.(bool)
		case "i":
			n, _ := strconv.ParseInt(v.(string), 10, 64)
			return int(n)
		case "I":
			n, _ := strconv.ParseInt(v.(string), 10, 64)
			return n
		case "f":
			bits, _ := strconv.ParseUint(v.(string), 10, 64)
			return math.Float64frombits(bits)
		case "s":
			return v.(string)
		case "l":
			out := []interface{}{}
			for _, it := range v.([]interface{}) {
				out = append(out, conv(it))
			}
			return out
		case "m":
			out := map[string]interface{}{}
			for _, kv := range v.([]interface{}) {
				pair := kv.([]interface{})
				out[pair[0].(string)] = conv(pair[1])
			}
			return out
		}
	}
	panic("bad node")
}

func toYAML(v interface{}) (string, string) {
	data, err := yaml.Marshal(v)
	if err != nil {
		return "", err.Error()
	}
	return strings.TrimSuffix(string(data), "\n"), ""
}

func toJSON(v interface{}) (string, string) {
	data, err := json.Marshal(v)
	if err != nil {
		return "", err.Error()
	}
	return string(data), ""
}

func toRawJSON(v interface{}) (string, string) {
	buf := new(bytes.Buffer)
	enc := json.NewEncoder(buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(&v); err != nil {
		return "", err.Error()
	}
	return strings.TrimSuffix(buf.String(), "\n"), ""
}

func toPretty(v interface{}) (string, string) {
	out, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return "", err.Error()
	}
	return string(out), ""
}

func toTOML(v interface{}) (res string, msg string) {
	// Helm's toToml panics on some values (nil): text/template reports the panic.
	defer func() {
		if r := recover(); r != nil {
			res, msg = "", "PANIC "+fmt.Sprint(r)
		}
	}()
	b := bytes.NewBuffer(nil)
	if err := toml.NewEncoder(b).Encode(v); err != nil {
		return err.Error(), err.Error()
	}
	return b.String(), ""
}

// Helm v4's toYamlPretty: yaml.v3's encoder with indentation 2, final newline trimmed.
func toYAMLPretty(v interface{}) (res string, msg string) {
	defer func() {
		if r := recover(); r != nil {
			res, msg = "", "PANIC "+fmt.Sprint(r)
		}
	}()
	var data bytes.Buffer
	enc := yamlv3.NewEncoder(&data)
	enc.SetIndent(2)
	if err := enc.Encode(v); err != nil {
		return "", err.Error()
	}
	return strings.TrimSuffix(data.String(), "\n"), ""
}

func dump(v interface{}) string {
	out, err := json.Marshal(v)
	if err != nil {
		return "ERR " + err.Error()
	}
	return string(out)
}

func main() {
	sc := bufio.NewScanner(os.Stdin)
	sc.Buffer(make([]byte, 1<<20), 1<<26)
	w := bufio.NewWriter(os.Stdout)
	defer w.Flush()
	for sc.Scan() {
		var in input
		if err := json.Unmarshal(sc.Bytes(), &in); err != nil {
			panic(err)
		}
		var res []string
		switch in.Op {
		case "ser":
			v := node(in.V)
			for _, f := range []func(interface{}) (string, string){toYAML, toJSON, toPretty, toRawJSON, toTOML, toYAMLPretty} {
				a, b := f(v)
				res = append(res, a, b)
			}
		case "from":
			m := map[string]interface{}{}
			if err := yaml.Unmarshal([]byte(in.S), &m); err != nil {
				m["Error"] = err.Error()
			}
			a := []interface{}{}
			if err := yaml.Unmarshal([]byte(in.S), &a); err != nil {
				a = []interface{}{err.Error()}
			}
			jm := map[string]interface{}{}
			if err := json.Unmarshal([]byte(in.S), &jm); err != nil {
				jm["Error"] = err.Error()
			}
			ja := []interface{}{}
			if err := json.Unmarshal([]byte(in.S), &ja); err != nil {
				ja = []interface{}{err.Error()}
			}
			res = []string{dump(m), dump(a), dump(jm), dump(ja)}
		default:
			panic(fmt.Sprint("op ", in.Op))
		}
		out, _ := json.Marshal(res)
		w.Write(out)
		w.WriteString("\n")
	}
}
