package xmpp_test

import (
	"context"
	"testing"

	"github.com/keepstar/keepstar/internal/services"
	"github.com/keepstar/keepstar/internal/services/xmpp"
	"github.com/keepstar/keepstar/internal/services/xmpp/ejabberdtest"
)

func ejabberdInstance(ej *ejabberdtest.Server) services.Instance {
	return services.Instance{Slug: "chat", Settings: map[string]string{xmpp.SettingBackend: xmpp.BackendEjabberd,
		xmpp.SettingAPIURL: ej.APIURL, xmpp.SettingDomain: ej.Domain}}
}

// The checks pass on a server set up as the docs say, and name
// mod_admin_extra when it is missing and the address when nothing
// answers.
func TestChecksOnTheRealEjabberd(t *testing.T) {
	ok := ejabberdtest.Start(t, ejabberdtest.Options{})
	bare := ejabberdtest.Start(t, ejabberdtest.Options{NoAdminExtra: true})
	ctx := context.Background()
	for _, c := range []struct {
		inst services.Instance
		want string
	}{
		{ejabberdInstance(ok), ""},
		{ejabberdInstance(bare), "services.xmpp.problem.admin_extra"},
		{services.Instance{Slug: "x", Settings: map[string]string{xmpp.SettingBackend: xmpp.BackendEjabberd,
			xmpp.SettingAPIURL: "http://127.0.0.1:1/api", xmpp.SettingDomain: "keepstar.test"}}, "services.xmpp.problem.unreachable"},
	} {
		conn, err := xmpp.Open(c.inst, services.Env{})
		if err != nil {
			t.Fatal(err)
		}
		problems, err := conn.(services.Checker).Check(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case c.want == "" && len(problems) != 0:
			t.Errorf("%s: problems %+v", c.inst.Settings[xmpp.SettingAPIURL], problems)
		case c.want != "" && (len(problems) != 1 || problems[0].Message != c.want):
			t.Errorf("%s: problems %+v, want %s", c.inst.Settings[xmpp.SettingAPIURL], problems, c.want)
		}
	}
	// The mapping page's suggestions: the groups made so far.
	conn, _ := xmpp.Open(ejabberdInstance(ok), services.Env{})
	if groups, err := conn.(services.GroupLister).Groups(ctx); err != nil || len(groups) != 0 {
		t.Errorf("groups of a new server: %v, %v", groups, err)
	}
}
