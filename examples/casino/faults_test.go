package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
)

// faultAPI serves the fault API over real HTTP for one test.
func faultAPI(t *testing.T) (*Faults, string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	f := newFaults(providerNames...)
	srv := httptest.NewServer(f.handler(ctx))
	t.Cleanup(func() {
		srv.Close()
		cancel() // ends a CPU burn a test left running
	})
	return f, srv.URL + faultsEndpoint
}

// faultCall sends a request to the fault API and returns the status and
// body.
func faultCall(t *testing.T, method, url, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// mustPostFaults posts body and fails the test unless the API accepts it;
// it returns the state the API answers with.
func mustPostFaults(t *testing.T, url, body string) FaultState {
	t.Helper()
	code, b := faultCall(t, http.MethodPost, url, body)
	if code != http.StatusOK {
		t.Fatalf("POST %s: %d %s", body, code, b)
	}
	return decodeState(t, b)
}

func getFaults(t *testing.T, url string) FaultState {
	t.Helper()
	code, b := faultCall(t, http.MethodGet, url, "")
	if code != http.StatusOK {
		t.Fatalf("GET: %d %s", code, b)
	}
	return decodeState(t, b)
}

func decodeState(t *testing.T, body string) FaultState {
	t.Helper()
	var s FaultState
	dec := json.NewDecoder(strings.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		t.Fatalf("fault state %q: %v", body, err)
	}
	return s
}

// healthyState is the state with no fault: every provider listed, zero.
func healthyState() FaultState {
	s := FaultState{Providers: map[string]ProviderFault{}}
	for _, p := range providerNames {
		s.Providers[p] = ProviderFault{}
	}
	return s
}

// TestFaultAPIRefusesBadRequestsNamingTheField: every malformed, unknown
// or out-of-range field is refused with 400, the message names it, and
// nothing changes, not even the parts of the request that were valid.
func TestFaultAPIRefusesBadRequestsNamingTheField(t *testing.T) {
	tests := []struct {
		name, body string
		want       []string // all in the 400 body
	}{
		{"unknown top-level field", `{"x":1}`, []string{`unknown field "x"`}},
		{"misspelt top-level field beside valid ones", `{"reset":true,"dbdown":true}`, []string{`unknown field "dbdown"`, "db_down"}},
		{"unknown field in fault", `{"provider":"stripe","fault":{"latency":1500}}`, []string{`unknown field "fault.latency"`, "latency_ms"}},
		{"unknown field in fault beside valid ones", `{"provider":"stripe","fault":{"error_rate":0.5,"errors":1}}`, []string{`unknown field "fault.errors"`}},
		{"error_rate above 1", `{"provider":"stripe","fault":{"error_rate":1.5}}`, []string{"fault.error_rate", "1.5", "[0, 1]"}},
		{"error_rate below 0", `{"provider":"stripe","fault":{"error_rate":-0.1}}`, []string{"fault.error_rate", "[0, 1]"}},
		{"error_rate as a string", `{"provider":"stripe","fault":{"error_rate":"0.5"}}`, []string{"fault.error_rate", "a number", "string"}},
		{"negative latency", `{"provider":"sumsub","fault":{"latency_ms":-1}}`, []string{"fault.latency_ms", "-1", "[0, 60000]"}},
		{"latency above a minute", `{"provider":"sumsub","fault":{"latency_ms":60001}}`, []string{"fault.latency_ms", "[0, 60000]"}},
		{"fractional latency", `{"provider":"sumsub","fault":{"latency_ms":1.5}}`, []string{"fault.latency_ms", "an integer"}},
		{"decline_rate above 1", `{"provider":"stripe","fault":{"decline_rate":2}}`, []string{"fault.decline_rate", "[0, 1]"}},
		{"decline_rate on a provider that takes no payments", `{"provider":"sumsub","fault":{"decline_rate":0.5}}`, []string{"fault.decline_rate", "only stripe"}},
		{"down not a boolean", `{"provider":"stripe","fault":{"down":1}}`, []string{"fault.down", "true or false"}},
		{"unknown provider", `{"provider":"paypal","fault":{"error_rate":0.5}}`, []string{"provider", `unknown provider "paypal"`, "pragmatic-play, stripe, sumsub"}},
		{"fault without provider", `{"fault":{"error_rate":0.5}}`, []string{"provider: required with fault"}},
		{"provider without fault", `{"provider":"stripe"}`, []string{"fault: required with provider"}},
		{"fault not an object", `{"provider":"stripe","fault":0.5}`, []string{"fault", "an object"}},
		{"db_down not a boolean", `{"db_down":"yes"}`, []string{"db_down", "true or false"}},
		{"reset not a boolean", `{"reset":1}`, []string{"reset", "true or false"}},
		{"negative cpu burn", `{"cpu_burn_seconds":-1}`, []string{"cpu_burn_seconds", "[0, 600]"}},
		{"cpu burn above ten minutes", `{"cpu_burn_seconds":601}`, []string{"cpu_burn_seconds", "[0, 600]"}},
		{"valid reset with an invalid fault", `{"reset":true,"provider":"stripe","fault":{"error_rate":7}}`, []string{"fault.error_rate"}},
		{"empty body", ``, []string{"empty body"}},
		{"not an object", `[{"reset":true}]`, []string{"JSON object", "array"}},
		{"null", `null`, []string{"JSON object", "null"}},
		{"broken JSON", `{"reset":tru`, []string{"bad JSON"}},
		{"two objects", `{"db_down":true} {"reset":true}`, []string{"bad JSON"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, url := faultAPI(t)
			before := mustPostFaults(t, url, `{"provider":"stripe","fault":{"error_rate":0.6}}`)
			code, body := faultCall(t, http.MethodPost, url, tt.body)
			if code != http.StatusBadRequest {
				t.Fatalf("POST %s: %d %q, want 400", tt.body, code, body)
			}
			for _, w := range tt.want {
				if !strings.Contains(body, w) {
					t.Errorf("POST %s: body %q lacks %q", tt.body, body, w)
				}
			}
			if after := getFaults(t, url); !reflect.DeepEqual(after, before) {
				t.Errorf("a refused request changed the faults:\nbefore %+v\nafter  %+v", before, after)
			}
		})
	}
}

// TestFaultAPIMergesPartialUpdates: a POST changes only the fields it
// names; a field set to 0 or false is cleared; other providers are left
// alone. Each step is checked against the state POST answers and GET
// returns.
func TestFaultAPIMergesPartialUpdates(t *testing.T) {
	_, url := faultAPI(t)
	steps := []struct {
		body   string
		stripe ProviderFault
		game   ProviderFault
		dbDown bool
	}{
		{`{"provider":"stripe","fault":{"error_rate":0.6}}`,
			ProviderFault{ErrorRate: 0.6}, ProviderFault{}, false},
		{`{"provider":"stripe","fault":{"latency_ms":1500}}`,
			ProviderFault{ErrorRate: 0.6, LatencyMS: 1500}, ProviderFault{}, false},
		{`{"provider":"pragmatic-play","fault":{"down":true}}`,
			ProviderFault{ErrorRate: 0.6, LatencyMS: 1500}, ProviderFault{Down: true}, false},
		{`{"provider":"stripe","fault":{"decline_rate":0.3,"error_rate":null}}`,
			ProviderFault{ErrorRate: 0.6, LatencyMS: 1500, DeclineRate: 0.3}, ProviderFault{Down: true}, false},
		{`{"db_down":true}`,
			ProviderFault{ErrorRate: 0.6, LatencyMS: 1500, DeclineRate: 0.3}, ProviderFault{Down: true}, true},
		{`{"provider":"stripe","fault":{"error_rate":0}}`,
			ProviderFault{LatencyMS: 1500, DeclineRate: 0.3}, ProviderFault{Down: true}, true},
		{`{"provider":"stripe","fault":{}}`,
			ProviderFault{LatencyMS: 1500, DeclineRate: 0.3}, ProviderFault{Down: true}, true},
		{`{"provider":"pragmatic-play","fault":{"down":false}}`,
			ProviderFault{LatencyMS: 1500, DeclineRate: 0.3}, ProviderFault{}, true},
		{`{"db_down":false,"provider":"stripe","fault":{"latency_ms":0,"decline_rate":0}}`,
			ProviderFault{}, ProviderFault{}, false},
	}
	for i, s := range steps {
		want := healthyState()
		want.Providers[providerPSP] = s.stripe
		want.Providers[providerGame] = s.game
		want.DBDown = s.dbDown
		if got := mustPostFaults(t, url, s.body); !reflect.DeepEqual(got, want) {
			t.Fatalf("step %d, POST %s answered\n%+v, want\n%+v", i, s.body, got, want)
		}
		if got := getFaults(t, url); !reflect.DeepEqual(got, want) {
			t.Fatalf("step %d, GET after POST %s:\n%+v, want\n%+v", i, s.body, got, want)
		}
	}
}

// TestFaultAPIResetClearsEverything: {"reset":true} clears every provider's
// faults, the database fault and a CPU burn; with other fields, those apply
// after the reset.
func TestFaultAPIResetClearsEverything(t *testing.T) {
	f, url := faultAPI(t)
	for _, body := range []string{
		`{"provider":"stripe","fault":{"error_rate":0.6,"latency_ms":1500,"decline_rate":0.2,"down":true}}`,
		`{"provider":"pragmatic-play","fault":{"latency_ms":900}}`,
		`{"provider":"sumsub","fault":{"error_rate":1}}`,
		`{"db_down":true,"cpu_burn_seconds":600}`,
	} {
		mustPostFaults(t, url, body)
	}
	if s := getFaults(t, url); !s.CPUBurning || !s.DBDown {
		t.Fatalf("faults not set before the reset: %+v", s)
	}
	if got := mustPostFaults(t, url, `{"reset":true}`); !reflect.DeepEqual(got, healthyState()) {
		t.Fatalf("after reset: %+v, want no fault", got)
	}
	if f.dbDown.Load() || f.provider(providerPSP) != (ProviderFault{}) {
		t.Fatal("reset answered a clean state but the faults still apply")
	}

	want := healthyState()
	want.Providers[providerKYC] = ProviderFault{LatencyMS: 300}
	mustPostFaults(t, url, `{"provider":"stripe","fault":{"error_rate":1}}`)
	if got := mustPostFaults(t, url, `{"reset":true,"provider":"sumsub","fault":{"latency_ms":300}}`); !reflect.DeepEqual(got, want) {
		t.Fatalf("reset with a fault: %+v, want only sumsub slow", got)
	}
}

// TestFaultAPICPUBurnStopsOnZero: cpu_burn_seconds 0 stops a burn, as 0
// clears every other fault.
func TestFaultAPICPUBurnStopsOnZero(t *testing.T) {
	_, url := faultAPI(t)
	if s := mustPostFaults(t, url, `{"cpu_burn_seconds":600}`); !s.CPUBurning {
		t.Fatalf("no burn after cpu_burn_seconds 600: %+v", s)
	}
	if s := mustPostFaults(t, url, `{"cpu_burn_seconds":0}`); s.CPUBurning {
		t.Fatalf("still burning after cpu_burn_seconds 0: %+v", s)
	}
}

// TestFaultAPIGetListsEveryProvider: GET shows the current faults with
// every provider name, so a person can see what may be named; other
// methods are refused with the ones allowed.
func TestFaultAPIGetListsEveryProvider(t *testing.T) {
	_, url := faultAPI(t)
	if got := getFaults(t, url); !reflect.DeepEqual(got, healthyState()) {
		t.Fatalf("GET on a clean demo: %+v", got)
	}
	mustPostFaults(t, url, `{"provider":"sumsub","fault":{"down":true}}`)
	want := healthyState()
	want.Providers[providerKYC] = ProviderFault{Down: true}
	if got := getFaults(t, url); !reflect.DeepEqual(got, want) {
		t.Fatalf("GET: %+v, want %+v", got, want)
	}
	code, body := faultCall(t, http.MethodPut, url, `{"reset":true}`)
	if code != http.StatusMethodNotAllowed || !strings.Contains(body, "GET") {
		t.Fatalf("PUT: %d %q, want 405 naming GET and POST", code, body)
	}
}

// TestFaultFieldsDocumented: every field the API takes appears in the
// doc comment of faults.go and in the README's "Two commands" table, so
// neither can fall behind the code.
func TestFaultFieldsDocumented(t *testing.T) {
	src := readFile(t, "faults.go")
	readme := section(t, readFile(t, "../../README.md"), "## Two commands")
	fields := append(append([]string{}, requestFields...), faultFields...)
	// Every field the decoder takes, from the struct tags.
	for _, typ := range []reflect.Type{reflect.TypeFor[FaultRequest](), reflect.TypeFor[FaultPatch]()} {
		for i := range typ.NumField() {
			name, _, _ := strings.Cut(typ.Field(i).Tag.Get("json"), ",")
			if !strings.Contains(strings.Join(fields, " "), name) {
				t.Errorf("%s.%s (%q) is missing from requestFields/faultFields", typ.Name(), typ.Field(i).Name, name)
			}
		}
	}
	for _, f := range fields {
		if !strings.Contains(src, "//\t"+f) && !strings.Contains(src, "//\t  "+f) {
			t.Errorf("faults.go's fault API comment does not document %q", f)
		}
		if !strings.Contains(readme, "`"+f+"`") && !strings.Contains(readme, "`fault."+f+"`") {
			t.Errorf("README's Two commands section does not document %q", f)
		}
	}
}
