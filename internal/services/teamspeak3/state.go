package teamspeak3

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"
)

// state is a service account's connector state: the privilege key while
// it waits to be redeemed (sealed), and the client found once it was.
type state struct {
	// Key is the privilege key, sealed, bound to the instance and handle.
	Key   string    `json:"key,omitempty"`
	KeyAt time.Time `json:"key_at,omitzero"`
	// CLDBID and UID are the client's database and unique ids, found by
	// the custom field once the key is redeemed, never searched again.
	CLDBID int    `json:"cldbid,omitempty"`
	UID    string `json:"uid,omitempty"`
}

func parseState(s string) (state, error) {
	var st state
	if s == "" {
		return st, nil
	}
	if err := json.Unmarshal([]byte(s), &st); err != nil {
		return state{}, fmt.Errorf("teamspeak3: account state: %w", err)
	}
	return st, nil
}

func (st state) String() string {
	b, err := json.Marshal(st)
	if err != nil {
		panic(err) // a struct of strings, ints and a time always marshals
	}
	return string(b)
}

// newHandle makes a member's handle: random, stable for the account's
// life, written on their client record by the key's custom set.
func newHandle() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return "ks" + hex.EncodeToString(b)
}

// sealKey and openKey bind a key to its instance and handle, so a sealed
// key copied to another account does not open.
func (k *Connector) sealKey(handle, key string) string {
	return k.box.Seal(key, fmt.Sprintf("teamspeak3/%d/%s", k.instanceID, handle))
}

func (k *Connector) openKey(handle, sealed string) (string, error) {
	return k.box.Open(sealed, fmt.Sprintf("teamspeak3/%d/%s", k.instanceID, handle))
}
