package services

import "testing"

// A card's status, button and destination follow what the member can do
// on the service: link through OAuth2 from the card itself, activate on
// the Services page, or nothing until their first login there.
func TestCardOfEachKindOfService(t *testing.T) {
	inst := Instance{Slug: "comms", Name: "Comms"}
	for _, tc := range []struct {
		name                 string
		offer                Offer
		path, status, action string
		problem              bool
	}{
		{"oauth", Offer{Instance: inst, Type: Type{Capabilities: Capabilities{OAuthLink: true}}},
			"/services/comms/link", "services.card.not_linked", "services.card.link", false},
		{"password", Offer{Instance: inst, Type: Type{Capabilities: Capabilities{Password: true}}},
			"/services#service-comms", "services.card.not_linked", "services.card.activate", false},
		{"sso", Offer{Instance: inst, Type: Type{Capabilities: Capabilities{SSOProvider: true}}},
			"/services#service-comms", "services.sso", "", false},
		{"linked", Offer{Instance: inst, Type: Type{Capabilities: Capabilities{OAuthLink: true}}, Account: &Account{Status: StatusOK, ExternalName: "ann"}},
			"/services#service-comms", "services.card.linked", "", false},
		{"error", Offer{Instance: inst, Account: &Account{Status: StatusError, LastError: "refused"}},
			"/services#service-comms", "services.card.problem", "", true},
	} {
		c := card(tc.offer)
		if c.Title != "Comms" || c.Kind != "service" || c.Path != tc.path || c.Status != tc.status || c.Action != tc.action || c.Problem != tc.problem {
			t.Errorf("%s: %+v", tc.name, c)
		}
	}
}
