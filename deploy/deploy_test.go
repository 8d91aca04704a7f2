package deploy_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/kafkafn/kafkafn/deploy"
	"github.com/kafkafn/kafkafn/shared/buildinfo"
	"github.com/kafkafn/kafkafn/shared/httpio"
	"github.com/kafkafn/kafkafn/shared/platform/azurefunc"
)

const root = ".."

func read(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(path)))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// plain decodes YAML into maps and slices, ignoring CloudFormation tags (!Ref, !Sub …):
// a tagged scalar decodes as its text.
func plain(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var n yaml.Node
	if err := yaml.Unmarshal(b, &n); err != nil {
		t.Fatal(err)
	}
	v, ok := convert(&n).(map[string]any)
	if !ok {
		t.Fatal("the document is not a mapping")
	}
	return v
}

func convert(n *yaml.Node) any {
	switch n.Kind {
	case yaml.DocumentNode:
		return convert(n.Content[0])
	case yaml.MappingNode:
		m := map[string]any{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			m[n.Content[i].Value] = convert(n.Content[i+1])
		}
		return m
	case yaml.SequenceNode:
		s := make([]any, len(n.Content))
		for i, c := range n.Content {
			s[i] = convert(c)
		}
		return s
	case yaml.AliasNode:
		return convert(n.Alias)
	default:
		return n.Value
	}
}

func get(v any, path ...string) any {
	for _, p := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[p]
	}
	return v
}

func str(v any, path ...string) string {
	s, _ := get(v, path...).(string)
	return s
}

// routeSet renders routes as sorted "METHOD path" strings in API Gateway path syntax.
func routeSet(routes []httpio.Route, path func(string) string) []string {
	var out []string
	for _, r := range routes {
		out = append(out, r.Method+" "+path(r.Path))
	}
	sort.Strings(out)
	return out
}

func TestDescriptorsAreGenerated(t *testing.T) {
	files := deploy.Files()
	for name, want := range files {
		t.Run(name+" is what gendeploy writes", func(t *testing.T) {
			got, err := os.ReadFile(filepath.Join(root, name))
			if err != nil || !bytes.Equal(got, want) {
				t.Fatalf("%s is out of date with the route tables (%v): run `go run ./scripts/gendeploy`", name, err)
			}
		})
	}
	t.Run("azure/ has no function folder that gendeploy would not write", func(t *testing.T) {
		dirs, _ := filepath.Glob(filepath.Join(root, "azure", "*", "function.json"))
		for _, d := range dirs {
			rel, _ := filepath.Rel(root, d)
			if _, ok := files[filepath.ToSlash(rel)]; !ok {
				t.Errorf("%s serves no route: run `go run ./scripts/gendeploy`", rel)
			}
		}
	})
}

func TestRouteTables(t *testing.T) {
	t.Run("no two functions serve the same route or use the same route name", func(t *testing.T) {
		patterns, names := map[string]string{}, map[string]string{}
		for _, f := range deploy.Functions {
			for _, r := range f.Routes {
				if other, ok := patterns[r.Pattern()]; ok {
					t.Errorf("%s is served by %s and %s", r.Pattern(), other, f.Name)
				}
				if other, ok := names[r.Name]; ok {
					t.Errorf("route name %s is used by %s and %s", r.Name, other, f.Name)
				}
				patterns[r.Pattern()], names[r.Name] = f.Name, f.Name
			}
		}
	})
	t.Run("every function lists only known configuration variables", func(t *testing.T) {
		for _, f := range deploy.Functions {
			for _, e := range f.Params {
				if _, ok := deploy.ParamFor(e); !ok {
					t.Errorf("%s: %s has no Param", f.Name, e)
				}
			}
		}
	})
	t.Run("secrets are NoEcho", func(t *testing.T) {
		for _, p := range deploy.Params {
			secret := strings.Contains(p.Env, "PASSWORD") || strings.Contains(p.Env, "SECRET") || strings.Contains(p.Env, "CREDENTIALS")
			if secret && !p.NoEcho {
				t.Errorf("%s looks like a secret but is not NoEcho", p.Env)
			}
		}
	})
}

func TestSAMTemplate(t *testing.T) {
	tpl := plain(t, read(t, "template.yaml"))
	t.Run("every function runs provided.al2023 on arm64 with the bootstrap handler", func(t *testing.T) {
		g := get(tpl, "Globals", "Function")
		if str(g, "Runtime") != "provided.al2023" || str(g, "Handler") != "bootstrap" || !slices.Equal(asStrings(get(g, "Architectures")), []string{"arm64"}) {
			t.Fatalf("Globals.Function = %v", g)
		}
	})
	for _, f := range deploy.Functions {
		t.Run(f.LogicalID+" has the routes of "+f.Package, func(t *testing.T) {
			res := get(tpl, "Resources", f.LogicalID)
			if str(res, "Type") != "AWS::Serverless::Function" || str(res, "Metadata", "BuildMethod") != "makefile" || str(res, "Properties", "CodeUri") != "." {
				t.Fatalf("resource = %v", res)
			}
			hasSchedule := false
			events, _ := get(res, "Properties", "Events").(map[string]any)
			for name, ev := range events {
				switch str(ev, "Type") {
				case "Schedule", "ScheduleV2":
					hasSchedule = true
				default:
					t.Errorf("event %s is a %s: routes are AWS::ApiGatewayV2::Route resources", name, str(ev, "Type"))
				}
			}
			if hasSchedule != f.Timer {
				t.Errorf("schedule event: %v, timer: %v", hasSchedule, f.Timer)
			}
			vars, _ := get(res, "Properties", "Environment", "Variables").(map[string]any)
			for name, ref := range vars {
				if ref != deploy.ParamName(name) || get(tpl, "Parameters", deploy.ParamName(name)) == nil {
					t.Errorf("%s: %v is not a template parameter", name, ref)
				}
			}
		})
	}
	t.Run("every function runs in the VPC exactly when subnets are given", func(t *testing.T) {
		for _, p := range []string{deploy.VPCSubnetsParam, deploy.VPCSecurityGroupsParam} {
			if str(tpl, "Parameters", p, "Type") != "CommaDelimitedList" || str(tpl, "Parameters", p, "Default") != "" {
				t.Errorf("parameter %s = %v, want an optional CommaDelimitedList", p, get(tpl, "Parameters", p))
			}
		}
		if get(tpl, "Conditions", deploy.VPCCondition) == nil {
			t.Fatalf("no condition %s", deploy.VPCCondition)
		}
		vpc, _ := get(tpl, "Globals", "Function", "VpcConfig").([]any)
		if len(vpc) != 3 || vpc[0] != deploy.VPCCondition || str(vpc[1], "SubnetIds") != deploy.VPCSubnetsParam ||
			str(vpc[1], "SecurityGroupIds") != deploy.VPCSecurityGroupsParam || vpc[2] != "AWS::NoValue" {
			t.Fatalf("Globals.Function.VpcConfig = %v, want !If [%s, {SubnetIds, SecurityGroupIds}, !Ref AWS::NoValue]", vpc, deploy.VPCCondition)
		}
		for _, f := range deploy.Functions {
			if get(tpl, "Resources", f.LogicalID, "Properties", "VpcConfig") != nil {
				t.Errorf("%s overrides the global VpcConfig", f.LogicalID)
			}
		}
	})
	t.Run("the HTTP API has every route of every function exactly once, on that function's integration", func(t *testing.T) {
		if str(tpl, "Resources", deploy.HTTPAPIID, "Type") != "AWS::ApiGatewayV2::Api" || str(tpl, "Resources", deploy.HTTPAPIID, "Properties", "ProtocolType") != "HTTP" {
			t.Fatalf("%s = %v", deploy.HTTPAPIID, get(tpl, "Resources", deploy.HTTPAPIID))
		}
		integrations := map[string]string{} // integration logical ID → function
		stages := 0
		got := map[string][]string{} // function → "METHOD path" of its routes
		for id, res := range get(tpl, "Resources").(map[string]any) {
			switch str(res, "Type") {
			case "AWS::ApiGatewayV2::Stage":
				stages++
				if str(res, "Properties", "ApiId") != deploy.HTTPAPIID || str(res, "Properties", "StageName") != "$default" || str(res, "Properties", "AutoDeploy") != "true" {
					t.Errorf("stage %s = %v, want the auto-deployed $default stage of %s", id, res, deploy.HTTPAPIID)
				}
			case "AWS::ApiGatewayV2::Integration":
				p := get(res, "Properties")
				fn, _, _ := strings.Cut(str(p, "IntegrationUri"), ".Arn")
				if str(p, "ApiId") != deploy.HTTPAPIID || str(p, "IntegrationType") != "AWS_PROXY" || str(p, "PayloadFormatVersion") != "2.0" || fn == "" {
					t.Errorf("integration %s = %v, want an AWS_PROXY payload 2.0 integration on a function ARN", id, p)
				}
				integrations[id] = fn
			}
		}
		if stages != 1 {
			t.Errorf("%d stages, want one", stages)
		}
		for id, res := range get(tpl, "Resources").(map[string]any) {
			if str(res, "Type") != "AWS::ApiGatewayV2::Route" {
				continue
			}
			p := get(res, "Properties")
			integ, ok := strings.CutPrefix(str(p, "Target"), "integrations/${")
			fn := integrations[strings.TrimSuffix(integ, "}")]
			if str(p, "ApiId") != deploy.HTTPAPIID || !ok || fn == "" {
				t.Errorf("route %s = %v is not on %s with one of its integrations", id, p, deploy.HTTPAPIID)
				continue
			}
			got[fn] = append(got[fn], str(p, "RouteKey"))
		}
		for _, f := range deploy.Functions {
			sort.Strings(got[f.LogicalID])
			if want := routeSet(f.Routes, deploy.APIPath); !slices.Equal(got[f.LogicalID], want) {
				t.Errorf("%s: HTTP API routes %v, route table %v", f.LogicalID, got[f.LogicalID], want)
			}
			delete(got, f.LogicalID)
		}
		if len(got) != 0 {
			t.Errorf("routes on no deployed function: %v", got)
		}
	})
	t.Run("every function may be invoked by the HTTP API, and only from it", func(t *testing.T) {
		for _, f := range deploy.Functions {
			if len(f.Routes) == 0 {
				continue
			}
			var perms []any
			for _, res := range get(tpl, "Resources").(map[string]any) {
				if str(res, "Type") == "AWS::Lambda::Permission" && str(res, "Properties", "FunctionName") == f.LogicalID {
					perms = append(perms, get(res, "Properties"))
				}
			}
			want := "arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:${" + deploy.HTTPAPIID + "}/*"
			if len(perms) != 1 || str(perms[0], "Principal") != "apigateway.amazonaws.com" || str(perms[0], "Action") != "lambda:InvokeFunction" || str(perms[0], "SourceArn") != want {
				t.Errorf("%s permissions %v, want one for apigateway.amazonaws.com from %s", f.LogicalID, perms, want)
			}
		}
	})
	t.Run("AuthAwsAuthorizer=true turns on AWS_IAM on every route but the sender-signed ones", func(t *testing.T) {
		signed := 0
		for _, f := range deploy.Functions {
			for _, r := range f.Routes {
				auth := get(tpl, "Resources", r.Name+"Route", "Properties", "AuthorizationType")
				if deploy.SenderSigned(r) {
					signed++
					if auth != "NONE" {
						t.Errorf("%s (sender-signed) AuthorizationType = %v, want NONE", r.Name, auth)
					}
					continue
				}
				if a, _ := auth.([]any); len(a) != 3 || a[0] != "AwsIamAuth" || a[1] != "AWS_IAM" || a[2] != "NONE" {
					t.Errorf("%s AuthorizationType = %v, want !If [AwsIamAuth, AWS_IAM, NONE]", r.Name, auth)
				}
			}
		}
		if want := 2; signed != want { // IngestWebhook and SendMessage: a rename must not drop the exemption silently
			t.Errorf("%d sender-signed routes, want %d", signed, want)
		}
	})
	t.Run("AuthAwsAuthorizer=true adds an AWS_IAM Function URL to every function that trusts the authorizer context", func(t *testing.T) {
		if c := get(tpl, "Conditions", "AwsIamAuth"); c == nil {
			t.Fatal("no AwsIamAuth condition")
		}
		for _, f := range deploy.Functions {
			url := get(tpl, "Resources", f.LogicalID+"Url")
			if !slices.Contains(f.Params, deploy.AWSIAMParam) {
				if url != nil {
					t.Errorf("%s has a Function URL but does not read %s", f.LogicalID, deploy.AWSIAMParam)
				}
				continue
			}
			if str(url, "Type") != "AWS::Lambda::Url" || str(url, "Condition") != "AwsIamAuth" || str(url, "Properties", "AuthType") != "AWS_IAM" {
				t.Errorf("%sUrl = %v", f.LogicalID, url)
			}
		}
	})
	t.Run("MskClusterArn grants each Kafka function exactly its kafka-cluster actions", func(t *testing.T) {
		if get(tpl, "Conditions", deploy.MSKCondition) == nil || get(tpl, "Parameters", deploy.MSKClusterParam) == nil {
			t.Fatalf("no %s condition or %s parameter", deploy.MSKCondition, deploy.MSKClusterParam)
		}
		for _, f := range deploy.Functions {
			pol, _ := get(tpl, "Resources", f.LogicalID, "Properties", "Policies").([]any)
			if len(f.MSKActions) == 0 {
				if pol != nil {
					t.Errorf("%s has policies but needs no Kafka access", f.LogicalID)
				}
				continue
			}
			var cond []any
			if len(pol) == 1 {
				cond, _ = pol[0].([]any)
			}
			if len(cond) != 3 || cond[0] != deploy.MSKCondition || cond[2] != "AWS::NoValue" {
				t.Fatalf("%s Policies = %v, want one !If [%s, …, !Ref AWS::NoValue]", f.LogicalID, pol, deploy.MSKCondition)
			}
			var got []string
			if st, _ := get(cond[1], "Statement").([]any); len(st) == 1 {
				actions, _ := get(st[0], "Action").([]any)
				for _, a := range actions {
					got = append(got, fmt.Sprint(a))
				}
			}
			var want []string
			for _, a := range f.MSKActions {
				want = append(want, "kafka-cluster:"+a)
			}
			if !slices.Equal(got, want) {
				t.Errorf("%s actions %v, want %v", f.LogicalID, got, want)
			}
		}
	})
	t.Run("secret parameters are NoEcho", func(t *testing.T) {
		for _, p := range deploy.Params {
			if prm := get(tpl, "Parameters", deploy.ParamName(p.Env)); prm != nil && p.NoEcho && str(prm, "NoEcho") != "true" {
				t.Errorf("%s is not NoEcho", deploy.ParamName(p.Env))
			}
		}
	})
}

func asStrings(v any) []string {
	s, _ := v.([]any)
	out := make([]string, 0, len(s))
	for _, e := range s {
		out = append(out, e.(string))
	}
	return out
}

func TestMakefile(t *testing.T) {
	mk := string(read(t, "Makefile"))
	for _, f := range deploy.Functions {
		t.Run("build-"+f.LogicalID+" builds "+f.Package+" as $(ARTIFACTS_DIR)/bootstrap", func(t *testing.T) {
			_, after, ok := strings.Cut(mk, "\nbuild-"+f.LogicalID+":\n")
			recipe, _, _ := strings.Cut(after, "\n\n")
			if !ok || !strings.Contains(recipe, "$(GO_BUILD) -o $(ARTIFACTS_DIR)/bootstrap ./"+f.Package) {
				t.Fatalf("recipe %q", recipe)
			}
		})
	}
	t.Run("GO_BUILD is static, stripped and with the shipped build tags", func(t *testing.T) {
		for _, want := range []string{"CGO_ENABLED=0", "GOOS=linux", "-tags " + buildinfo.Tags + " ", "-trimpath", "-s -w"} {
			if !strings.Contains(mk, want) {
				t.Errorf("Makefile lacks %s", want)
			}
		}
	})
}

// TestBuildTags: every script that builds a binary uses the shipped build tags, so what runs
// locally and what the tests build is what ships.
func TestBuildTags(t *testing.T) {
	for _, f := range []string{"scripts/build", "scripts/run", "Makefile"} {
		n := 0
		for line := range strings.Lines(string(read(t, f))) {
			if !strings.Contains(line, "go build ") || strings.Contains(line, "./scripts/") {
				continue // scripts/mkzip is a build tool, not a shipped binary
			}
			n++
			if !strings.Contains(line, " -tags "+buildinfo.Tags+" ") {
				t.Errorf("%s: %q lacks -tags %s", f, strings.TrimSpace(line), buildinfo.Tags)
			}
		}
		if n == 0 {
			t.Errorf("%s builds no binary", f)
		}
	}
}

// scfEnv checks that an SCF instance passes exactly want from the deploying environment, and
// that its VPC placement is optional input.
func scfEnv(t *testing.T, inputs any, want []string) {
	t.Helper()
	vars, _ := get(inputs, "environment", "variables").(map[string]any)
	var got []string
	for name, v := range vars {
		got = append(got, name)
		if v != "${env."+name+"}" {
			t.Errorf("%s = %v, want ${env.%s}", name, v, name)
		}
		if _, ok := deploy.ParamFor(name); !ok {
			t.Errorf("%s is not a configuration variable (deploy.Params)", name)
		}
	}
	sort.Strings(got)
	want = slices.Sorted(slices.Values(want))
	if !slices.Equal(got, want) {
		t.Errorf("environment %v, want %v", got, want)
	}
	if str(inputs, "vpcConfig", "vpcId") != "${env.SCF_VPC_ID}" || str(inputs, "vpcConfig", "subnetId") != "${env.SCF_SUBNET_ID}" {
		t.Errorf("vpcConfig = %v", get(inputs, "vpcConfig"))
	}
	if r := str(inputs, "runtime"); r != "Go1" {
		t.Errorf("runtime %q", r)
	}
}

func TestServerless(t *testing.T) {
	build := string(read(t, "scripts/build"))
	t.Run("serverless.yml: every route in one web function behind a Function URL", func(t *testing.T) {
		b := read(t, deploy.SCFWebFile)
		sls := plain(t, b)
		if str(sls, "component") != "scf" || str(sls, "app") != deploy.SCFApp || str(sls, "name") == "" {
			t.Fatalf("component = %q app = %q name = %q", str(sls, "component"), str(sls, "app"), str(sls, "name"))
		}
		in := get(sls, "inputs")
		if str(in, "type") != "web" || str(in, "src", "src") != "./"+deploy.SCFWebDir {
			t.Fatalf("inputs type %q src %v", str(in, "type"), get(in, "src"))
		}
		events, _ := get(in, "events").([]any)
		if len(events) != 1 || get(events[0], "http") == nil {
			t.Fatalf("events = %v, want one http event (the Function URL)", events)
		}
		p := get(events[0], "http", "parameters")
		if str(p, "qualifier") != "$DEFAULT" || str(p, "authType") != "NONE" || str(p, "netConfig", "enableExtranet") != "true" {
			t.Errorf("http parameters = %v", p)
		}
		scfEnv(t, in, deploy.SCFWebParams())
		// The web function runs the all-routes binary, so every route must be one it serves.
		for _, f := range deploy.Functions {
			if !f.InAll {
				t.Errorf("%s is not served by the all-routes binary: its routes would be missing on SCF", f.Name)
			}
		}
		var listed []string
		for _, line := range strings.Split(string(b), "\n") {
			if m, ok := strings.CutPrefix(line, "#   "); ok && strings.Contains(m, " /") {
				listed = append(listed, m)
			}
		}
		if want := routeSet(deploy.AllRoutes(), deploy.APIPath); !slices.Equal(slices.Sorted(slices.Values(listed)), want) {
			t.Errorf("routes listed %v, route table %v", listed, want)
		}
		for _, want := range []string{`"$out/scf/all-web/main"`, `"$out/scf/all-web/scf_bootstrap"`, `$(binary amd64 all "$all_pkg")`} {
			if !strings.Contains(build, want) {
				t.Errorf("scripts/build does not write %s (%s)", deploy.SCFWebDir, want)
			}
		}
	})
	t.Run(deploy.SCFPullFile+": the timer function as an event function with a timer trigger", func(t *testing.T) {
		f, ok := deploy.TimerFunction()
		if !ok {
			t.Fatal("no function has a timer")
		}
		sls := plain(t, read(t, deploy.SCFPullFile))
		if str(sls, "component") != "scf" || str(sls, "app") != deploy.SCFApp {
			t.Fatalf("component = %q app = %q", str(sls, "component"), str(sls, "app"))
		}
		in := get(sls, "inputs")
		src := filepath.ToSlash(filepath.Join(filepath.Dir(deploy.SCFPullFile), str(in, "src", "src")))
		if str(in, "type") != "event" || str(in, "handler") != "main" || src != deploy.SCFPullDir {
			t.Fatalf("type %q handler %q src %q (want %s)", str(in, "type"), str(in, "handler"), src, deploy.SCFPullDir)
		}
		if deploy.SCFPullDir != "dist/scf/"+f.Name || !strings.Contains(build, `"$out/scf/`+f.Name+`/main"`) || !strings.Contains(build, `"`+f.Name+" "+f.Package+`"`) {
			t.Errorf("scripts/build does not write %s/main from %s", deploy.SCFPullDir, f.Package)
		}
		events, _ := get(in, "events").([]any)
		if len(events) != 1 || get(events[0], "timer") == nil {
			t.Fatalf("events = %v, want one timer", events)
		}
		p := get(events[0], "timer", "parameters")
		if len(strings.Fields(str(p, "cronExpression"))) != 7 || str(p, "enable") != "false" || !json.Valid([]byte(str(p, "argument"))) {
			t.Errorf("timer parameters = %v (7-field cron, disabled, JSON argument)", p)
		}
		scfEnv(t, in, f.Params)
	})
}

func TestAzure(t *testing.T) {
	var host struct {
		CustomHandler struct {
			Description struct {
				DefaultExecutablePath string `json:"defaultExecutablePath"`
			} `json:"description"`
			EnableForwardingHTTPRequest bool `json:"enableForwardingHttpRequest"`
		} `json:"customHandler"`
		Extensions struct {
			HTTP struct {
				RoutePrefix *string `json:"routePrefix"`
			} `json:"http"`
		} `json:"extensions"`
	}
	if err := json.Unmarshal(read(t, "azure/host.json"), &host); err != nil {
		t.Fatal(err)
	}
	t.Run("host.json forwards HTTP requests to the handler binary without a route prefix", func(t *testing.T) {
		if host.CustomHandler.Description.DefaultExecutablePath != "handler" || !host.CustomHandler.EnableForwardingHTTPRequest ||
			host.Extensions.HTTP.RoutePrefix == nil || *host.Extensions.HTTP.RoutePrefix != "" {
			t.Fatalf("host.json = %+v", host)
		}
	})
	type binding struct {
		Type      string   `json:"type"`
		Direction string   `json:"direction"`
		Methods   []string `json:"methods"`
		Route     *string  `json:"route"`
		Schedule  string   `json:"schedule"`
	}
	load := func(t *testing.T, name string) []binding {
		var fj struct{ Bindings []binding }
		if err := json.Unmarshal(read(t, "azure/"+name+"/function.json"), &fj); err != nil {
			t.Fatal(err)
		}
		return fj.Bindings
	}
	for _, f := range deploy.Functions {
		if !f.InAll {
			continue
		}
		for _, r := range f.Routes {
			t.Run(r.Name+" forwards "+r.Pattern(), func(t *testing.T) {
				if _, timer := azurefunc.TimerFunction("/" + r.Name); timer {
					t.Fatalf("the HTTP function %s would be taken for a timer function", r.Name)
				}
				b := load(t, r.Name)
				if len(b) != 2 || b[0].Type != "httpTrigger" || b[1].Type != "http" || b[0].Route == nil {
					t.Fatalf("bindings = %+v", b)
				}
				if !slices.Equal(b[0].Methods, []string{strings.ToLower(r.Method)}) || *b[0].Route != deploy.AzureRoute(r.Path) {
					t.Fatalf("methods %v route %q for %s", b[0].Methods, *b[0].Route, r.Pattern())
				}
			})
		}
		if f.Timer {
			name := deploy.TimerFunctionName(f)
			t.Run(name+" is a timer function the adapter recognises", func(t *testing.T) {
				if got, ok := azurefunc.TimerFunction("/" + name); !ok || got != name {
					t.Fatalf("azurefunc.TimerFunction(/%s) = %q, %v", name, got, ok)
				}
				if b := load(t, name); len(b) != 1 || b[0].Type != "timerTrigger" || len(strings.Fields(b[0].Schedule)) != 6 {
					t.Fatalf("bindings = %+v", b)
				}
			})
		}
	}
}

// TestBinaryLinks checks that each route binary links only what it needs.
func TestBinaryLinks(t *testing.T) {
	const (
		msal     = "github.com/AzureAD/microsoft-authentication-library-for-go"
		franz    = "github.com/twmb/franz-go"
		kafkago  = "github.com/segmentio/kafka-go"
		lambdago = "github.com/aws/aws-lambda-go"
		// net/rpc links text/template, whose reflective method calls keep every exported
		// method in the binary (~2.4 MB); the SCF adapter speaks the protocol without it.
		netrpc = "net/rpc"
		// regexp (with the Unicode tables regexp/syntax keeps) was ~130–200 KB of each route
		// binary for a few one-line name checks, now hand-written (issue 11).
		re = "regexp"
		// SASLprep's tables (~290 KB); Kafka does not SASLprep SCRAM passwords, and neither
		// does kafkafn's own SCRAM (shared/broker/sasl_scram.go).
		saslprep = "github.com/xdg-go/stringprep"
		// encoding/gob was ~260 KB of each route binary, with reflection-heavy init; the SCF
		// adapter reads and writes the few gob messages of its protocol by hand (issue 11).
		gob = "encoding/gob"
	)
	tests := []struct {
		pkg     string
		without []string
	}{
		{"functions/produce/cmd/produce", []string{msal, franz, netrpc, re, saslprep, gob}},
		{"functions/consumewindow/cmd/consume-window", []string{msal, franz, netrpc, re, saslprep, gob}},
		{"functions/listtopics/cmd/list-topics", []string{msal, franz, netrpc, re, saslprep, gob}},
		{"functions/token/cmd/token", []string{kafkago, franz, netrpc, gob}},
	}
	for _, tt := range tests {
		t.Run(tt.pkg+" links no "+strings.Join(tt.without, " and no "), func(t *testing.T) {
			if _, err := os.Stat(filepath.Join(root, tt.pkg, "main.go")); err != nil {
				t.Skip(tt.pkg + " does not exist yet")
			}
			cmd := exec.Command("go", "list", "-deps", "-tags", buildinfo.Tags, "./"+tt.pkg)
			cmd.Dir = root
			cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=arm64")
			out, err := cmd.Output()
			if err != nil {
				var ee *exec.ExitError
				if errors.As(err, &ee) {
					t.Fatalf("go list: %v\n%s", err, ee.Stderr)
				}
				t.Fatal(err)
			}
			deps := strings.Fields(string(out))
			for _, mod := range tt.without {
				for _, d := range deps {
					if d == mod || strings.HasPrefix(d, mod+"/") {
						t.Errorf("links %s", d)
						break
					}
				}
			}
			if !slices.ContainsFunc(deps, func(d string) bool { return strings.HasPrefix(d, lambdago+"/") }) {
				t.Errorf("does not link %s: the binary cannot run on Lambda", lambdago)
			}
		})
	}
}

// TestCFNLint runs cfn-lint (which applies the SAM transform) on template.yaml.
func TestCFNLint(t *testing.T) {
	path, err := exec.LookPath("cfn-lint")
	if err != nil {
		t.Skip("cfn-lint is not on PATH (pip install cfn-lint); the template is still checked against the route tables")
	}
	cmd := exec.Command(path, "--", "template.yaml")
	cmd.Dir = root
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee) && ee.ExitCode()&2 == 0:
		t.Logf("cfn-lint warnings (exit %d):\n%s", ee.ExitCode(), out)
	default:
		t.Fatalf("cfn-lint template.yaml: %v\n%s", err, out)
	}
}

func TestSCFBootstrap(t *testing.T) {
	fi, err := os.Stat(filepath.Join(root, "scf_bootstrap"))
	if err != nil {
		t.Fatal(err)
	}
	b := read(t, "scf_bootstrap")
	switch {
	case fi.Mode().Perm()&0o111 == 0:
		t.Error("scf_bootstrap is not executable")
	case !bytes.HasPrefix(b, []byte("#!/bin/bash\n")):
		t.Error("scf_bootstrap must start with #!/bin/bash")
	case bytes.Contains(b, []byte("\r")):
		t.Error("scf_bootstrap must have LF line endings")
	case !bytes.Contains(b, []byte("0.0.0.0:9000")):
		t.Error("scf_bootstrap must listen on 0.0.0.0:9000")
	}
}
