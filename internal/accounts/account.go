package accounts

import (
	"errors"
	"time"
)

// Status is Neucore's account status.
type Status string

const (
	// Standard accounts get default and automatic groups.
	Standard Status = "standard"
	// Managed accounts ("manually managed") get no automatic groups and are
	// never deactivated for invalid tokens; admins manage their groups.
	Managed Status = "managed"
)

// Reason says why a character left an account.
type Reason string

const (
	// Moved: merged into the older account of the same owner.
	Moved Reason = "moved"
	// MovedOwnerChanged: the character changed hands and its new owner
	// logged it in (alone, or onto their account).
	MovedOwnerChanged Reason = "moved-owner-changed"
	// DeletedBiomassed: the character was biomassed (Doomheim).
	DeletedBiomassed Reason = "deleted-biomassed"
	// DeletedOwnerChanged: a token check found a new owner.
	DeletedOwnerChanged Reason = "deleted-owner-changed"
	// DeletedLostAccess: the character can no longer be checked.
	DeletedLostAccess Reason = "deleted-lost-access"
	// DeletedManually: the member deleted the character.
	DeletedManually Reason = "deleted-manually"
	// DeletedByAdmin: a user admin deleted the character.
	DeletedByAdmin Reason = "deleted-by-admin"
)

// Reasons lists every reason, as pages and filters show them.
var Reasons = []Reason{Moved, MovedOwnerChanged, DeletedBiomassed, DeletedOwnerChanged, DeletedLostAccess, DeletedManually, DeletedByAdmin}

// Account is a member's account.
type Account struct {
	ID   int64
	Name string // the main character's name
	// MainID is the main character; 0 when the account has no character.
	MainID    int32
	Status    Status
	Active    bool
	Superuser bool
	Language  string
	Theme     string
	CreatedAt time.Time
	// LastLoginAt, DeactivatedAt: zero when never.
	LastLoginAt   time.Time
	DeactivatedAt time.Time
	DeactivatedBy int64
	Roles         []string
}

// Character is an EVE character of an account, with the names of its
// corporation and alliance when known.
type Character struct {
	ID                int32
	AccountID         int64
	Name              string
	OwnerHash         string
	Main              bool
	CorporationID     int32
	CorporationName   string
	CorporationTicker string
	AllianceID        int32
	AllianceName      string
	AllianceTicker    string
	FactionID         int32
	CreatedAt         time.Time
	LastLoginAt       time.Time
}

// Removal records a character leaving an account.
type Removal struct {
	ID             int64
	AccountID      int64
	AccountName    string
	NewAccountID   int64 // 0 unless the character moved
	NewAccountName string
	CharacterID    int32
	CharacterName  string
	Reason         Reason
	RemovedAt      time.Time
	RemovedBy      int64 // 0 unless a member or admin deleted it
	RemovedByName  string
}

// Owner is one owner of a character as Keepstar saw it.
type Owner struct {
	CharacterID   int32
	CharacterName string
	OwnerHash     string
	AccountID     int64
	FirstSeen     time.Time
	LastSeen      time.Time
}

// Errors callers tell apart with errors.Is.
var (
	ErrNotFound = errors.New("accounts: not found")
	// ErrDeactivated: the account was deactivated by an admin.
	ErrDeactivated = errors.New("accounts: the account is deactivated")
	// ErrAltLogin: only main characters may log in (a setting).
	ErrAltLogin = errors.New("accounts: only the main character may log in")
	// ErrLoggedInCharacter: the character the member is logged in with
	// cannot be deleted.
	ErrLoggedInCharacter = errors.New("accounts: the character logged in with cannot be deleted")
	// ErrNotOnAccount: the character is not one of the account's.
	ErrNotOnAccount = errors.New("accounts: the character is not on this account")
	// ErrDeletionOff: members may not delete characters (a setting).
	ErrDeletionOff = errors.New("accounts: deleting characters is not allowed")
)
