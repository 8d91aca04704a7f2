package launch

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func TestParseArgs(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		exit    bool     // -version/-help: handled, exit 0
		err     string   // a start error containing this
		stdout  []string // printed
		nothing bool     // prints nothing
	}{
		{name: "no arguments start the binary", nothing: true},
		{name: "-version prints the name and version", args: []string{"-version"}, exit: true, stdout: []string{"produce dev\n"}},
		{name: "--version too", args: []string{"--version"}, exit: true, stdout: []string{"produce dev\n"}},
		{name: "--help says what it is, how the platform is chosen and where configuration is documented",
			args: []string{"--help"}, exit: true,
			stdout: []string{"produce dev: Apache Kafka over HTTP; the produce function", "AWS_LAMBDA_RUNTIME_API", "_LAMBDA_SERVER_PORT",
				"FUNCTIONS_CUSTOMHANDLER_PORT", "FUNCTIONS_HTTPWORKER_PORT", "127.0.0.1:8080", DocsURL, "environment variables"}},
		{name: "-h too", args: []string{"-h"}, exit: true, stdout: []string{"Usage: produce [-version] [-help]"}},
		{name: "an unknown flag is an error", args: []string{"-port", "80"}, err: "flag provided but not defined: -port (see produce -help)", nothing: true},
		{name: "a positional argument is an error", args: []string{"serve"}, err: `unexpected argument "serve"`, nothing: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			err := parseArgs("produce", tt.args, &out)
			switch {
			case tt.exit && !errors.Is(err, errExit):
				t.Fatalf("err = %v, want errExit", err)
			case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
				t.Fatalf("err = %v, want %q", err, tt.err)
			case !tt.exit && tt.err == "" && err != nil:
				t.Fatalf("err = %v", err)
			}
			for _, want := range tt.stdout {
				if !strings.Contains(out.String(), want) {
					t.Errorf("stdout lacks %q:\n%s", want, out.String())
				}
			}
			if tt.nothing && out.Len() > 0 {
				t.Errorf("stdout = %q", out.String())
			}
		})
	}
	t.Run("every binary has a description", func(t *testing.T) {
		for _, name := range []string{"produce", "consume-window", "list-topics", "token", "all"} {
			var out bytes.Buffer
			_ = parseArgs(name, []string{"-help"}, &out)
			if strings.Contains(out.String(), "a kafkafn function") {
				t.Errorf("%s has no description", name)
			}
		}
	})
}

func TestBadEnvironmentNamesTheVariable(t *testing.T) {
	tests := []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"PORT": "abc"}, `PORT: "abc" is not a port number`},
		{map[string]string{"PORT": "65536"}, `PORT: "65536" is not a port number`},
		{map[string]string{"PORT": "+80"}, `PORT: "+80" is not a port number`},
		{map[string]string{"ADDR": "localhost"}, `ADDR: "localhost" is not host:port`},
		{map[string]string{"ADDR": "127.0.0.1:http"}, `ADDR: "http" is not a port number`},
		{map[string]string{"LOG_LEVEL": "loud"}, `LOG_LEVEL: "loud" is not a log level`},
		{map[string]string{"FUNCTIONS_CUSTOMHANDLER_PORT": "x1"}, `FUNCTIONS_CUSTOMHANDLER_PORT: "x1" is not a port number`},
		{map[string]string{"_LAMBDA_SERVER_PORT": "-1"}, `_LAMBDA_SERVER_PORT: "-1" is not a port number`},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			err := Run(t.Context(), "test", func(k string) string { return tt.env[k] }, nil)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
		})
	}
}
