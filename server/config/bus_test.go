package config

import (
	"io"
	"reflect"
	"strings"
	"testing"
)

func TestParseBus(t *testing.T) {
	pw := "a-long-bus-password"
	for _, tc := range []struct {
		name    string
		args    []string
		env     map[string]string
		want    Bus
		wantErr string
	}{
		{name: "password from the environment, defaults", env: map[string]string{"TETHER_BUS_PASSWORD": pw},
			want: Bus{Listen: ":4222", User: "tether", Password: pw}},
		{name: "a cluster of three", args: []string{"-password", pw, "-cluster-listen", ":6222", "-routes", " nats-route://tether:" + pw + "@b:6222, nats-route://tether:" + pw + "@c:6222 "},
			want: Bus{Listen: ":4222", User: "tether", Password: pw, ClusterListen: ":6222",
				Routes: []string{"nats-route://tether:" + pw + "@b:6222", "nats-route://tether:" + pw + "@c:6222"}}},
		{name: "a flag wins over its variable", args: []string{"-listen", "10.0.0.10:4222", "-password", pw}, env: map[string]string{"TETHER_BUS_LISTEN": ":1"},
			want: Bus{Listen: "10.0.0.10:4222", User: "tether", Password: pw}},
		{name: "no password", wantErr: "at least 16 characters"},
		{name: "a short password", args: []string{"-password", "short"}, wantErr: "at least 16 characters"},
		{name: "a listen address without a port", args: []string{"-password", pw, "-listen", "bus.internal"}, wantErr: "want host:port"},
		{name: "a certificate without its key", args: []string{"-password", pw, "-tls-cert", "c.pem"}, wantErr: "together"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseBus(tc.args, func(k string) string { return tc.env[k] }, io.Discard)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want one saying %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}
