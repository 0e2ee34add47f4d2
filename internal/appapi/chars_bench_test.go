package appapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/keepstar/keepstar/internal/appapi"
	"github.com/keepstar/keepstar/internal/sitetest"
	"github.com/keepstar/keepstar/internal/store/storetest"
)

// BenchmarkCharacterBulk measures the bulk character operations asked for
// 1,000 characters, all known to Keepstar (logged in as members do, their
// alts added), through a running Keepstar: one request at a time over a
// kept-alive connection.
//
//	go test ./internal/appapi -run '^$' -bench CharacterBulk -benchtime 200x
func BenchmarkCharacterBulk(b *testing.B) {
	const n = 1000
	for _, d := range storetest.Dialects {
		b.Run(string(d), func(b *testing.B) {
			ctx := context.Background()
			site := sitetest.Start(b, sitetest.Options{Dialect: d, Characters: 2 * n})
			u := site.Sim.Universe
			var ids []int32
			for acct := int32(1); len(ids) < n && acct <= int32(u.Accounts()); acct++ {
				a, ok := u.Account(acct)
				if !ok || len(a.Characters) == 0 {
					continue
				}
				br := site.NewBrowser(b)
				for i, c := range a.Characters {
					if ch, err := u.Character(c); err != nil || ch.Biomassed || len(ids) == n {
						continue
					}
					if i == 0 {
						br.LogIn(b, c)
					} else {
						br.AddCharacter(b, c)
					}
					ids = append(ids, c)
				}
			}
			if len(ids) < n {
				b.Fatalf("only %d characters logged in", len(ids))
			}
			st := appapi.NewStore(site.DB, site.Config.SecretKey, nil)
			app, err := st.Create(ctx, appapi.Input{Name: "bench", Roles: []string{appapi.RoleChars}})
			if err != nil {
				b.Fatal(err)
			}
			secret, err := st.NewSecret(ctx, app.ID)
			if err != nil {
				b.Fatal(err)
			}
			body, _ := json.Marshal(ids)
			client := &http.Client{}
			for _, op := range []string{"players", "characters", "character-list"} {
				b.Run(op, func(b *testing.B) {
					for b.Loop() {
						req, _ := http.NewRequest("POST", site.URL+"/api/app/v1/"+op, strings.NewReader(string(body)))
						req.Header.Set("Authorization", bearer(app.ID, secret))
						req.Header.Set("Content-Type", "application/json")
						res, err := client.Do(req)
						if err != nil {
							b.Fatal(err)
						}
						got, _ := io.ReadAll(res.Body)
						res.Body.Close()
						if res.StatusCode != 200 || len(got) < n {
							b.Fatalf("%s: %d %s", op, res.StatusCode, fmt.Sprint(len(got)))
						}
					}
				})
			}
		})
	}
}
