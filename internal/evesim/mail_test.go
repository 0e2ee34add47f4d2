package evesim_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// Mails ESI accepts show on the control API; the EVE server's mail limit
// (4 a minute per sender) and a recipient's CSPA charge answer ESI's 520
// with the server's reason, and nothing is sent.
func TestMailLimitCSPAAndControl(t *testing.T) {
	sim, base := startSim(t)
	ids := sim.Universe.CharacterIDs()
	sender, to, charging := ids[10], ids[11], ids[12]
	tok := login(t, base, sender, []string{"esi-mail.send_mail.v1"})
	do := func(method, path, token, body string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
		req.Header.Set("X-Compatibility-Date", "2026-08-18")
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, strings.TrimSpace(string(b))
	}
	mail := func(rcpt int32, subject string, cost int64) (int, string) {
		return do("POST", fmt.Sprintf("/characters/%d/mail", sender), tok.AccessToken,
			fmt.Sprintf(`{"recipients":[{"recipient_id":%d,"recipient_type":"character"}],"subject":%q,"body":"b","approved_cost":%d}`, rcpt, subject, cost))
	}
	for i := range 4 {
		if code, body := mail(to, fmt.Sprint("m", i), 0); code != 201 {
			t.Fatalf("mail %d: %d %s", i, code, body)
		}
	}
	if code, body := mail(to, "fifth", 0); code != 520 || body != `{"error":"MailStopSpamming"}` {
		t.Fatalf("fifth mail within the minute: %d %s", code, body)
	}
	sim.Clock.Advance(59 * time.Second)
	if code, _ := mail(to, "still", 0); code != 520 {
		t.Fatalf("mail after 59 s: %d", code)
	}
	sim.Clock.Advance(time.Second)
	if code, body := mail(to, "after a minute", 0); code != 201 {
		t.Fatalf("mail after 60 s: %d %s", code, body)
	}

	if code, body := do("PUT", fmt.Sprintf("/control/characters/%d/cspa", charging), "", `{"charge":5000}`); code != 200 {
		t.Fatalf("set cspa: %d %s", code, body)
	}
	if code, _ := do("PUT", fmt.Sprintf("/control/characters/%d/cspa", charging), "", `{"charge":-1}`); code != 400 {
		t.Errorf("negative charge: %d", code)
	}
	sim.Clock.Advance(2 * time.Minute)
	if code, body := mail(charging, "cspa", 4999); code != 520 || body != `{"error":"ContactCostNotApproved"}` {
		t.Fatalf("mail without approving the charge: %d %s", code, body)
	}
	if code, body := mail(charging, "cspa paid", 5000); code != 201 {
		t.Fatalf("mail approving the charge: %d %s", code, body)
	}

	var got []struct {
		ID         int32  `json:"mail_id"`
		From       int32  `json:"from"`
		Subject    string `json:"subject"`
		Recipients []struct {
			ID   int32  `json:"recipient_id"`
			Type string `json:"recipient_type"`
		} `json:"recipients"`
	}
	code, body := do("GET", fmt.Sprintf("/control/mails?to=%d", to), "", "")
	if code != 200 || json.Unmarshal([]byte(body), &got) != nil || len(got) != 5 || got[4].Subject != "after a minute" ||
		got[0].From != sender || got[0].Recipients[0].ID != to || got[0].Recipients[0].Type != "character" {
		t.Fatalf("mails to %d: %d %s", to, code, body)
	}
	code, body = do("GET", fmt.Sprintf("/control/mails?to=%d", charging), "", "")
	if code != 200 || json.Unmarshal([]byte(body), &got) != nil || len(got) != 1 || got[0].Subject != "cspa paid" {
		t.Fatalf("mails to %d: %d %s", charging, code, body)
	}
	if code, _ := do("GET", "/control/mails?from=x", "", ""); code != 400 {
		t.Errorf("bad filter: %d", code)
	}
}
