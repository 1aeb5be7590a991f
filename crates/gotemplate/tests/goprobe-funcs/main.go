// Probe: prints, one a line and sorted, every function name a Helm chart's templates
// can call: Sprig v3.3.0's TxtFuncMap without env and expandenv (Helm deletes them),
// plus the names Helm adds. ketch's test compares gotemplate's helm::funcs() with it
// (names.txt holds this output, so the test runs without Go).
//
//	cd tests/goprobe-funcs && GOFLAGS=-mod=mod go run . > names.txt
package main

import (
	"fmt"
	"sort"

	"github.com/Masterminds/sprig/v3"
)

// Helm v4.3.2, pkg/engine/funcs.go (funcMap's "extra" map).
var helmExtra = []string{
	"toToml", "mustToToml", "fromToml", "toYaml", "mustToYaml", "toYamlPretty",
	"fromYaml", "fromYamlArray", "toJson", "mustToJson", "fromJson", "fromJsonArray",
	"mustToDuration", "durationSeconds", "durationMilliseconds", "durationMicroseconds",
	"durationNanoseconds", "durationMinutes", "durationHours", "durationDays",
	"durationWeeks", "durationRoundTo", "durationTruncateTo",
	"include", "tpl", "required", "lookup",
}

func main() {
	f := sprig.TxtFuncMap()
	delete(f, "env")
	delete(f, "expandenv")
	for _, n := range helmExtra {
		f[n] = nil
	}
	names := make([]string, 0, len(f))
	for n := range f {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Println(n)
	}
}
