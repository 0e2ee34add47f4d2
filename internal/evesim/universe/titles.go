package universe

import (
	"fmt"
	"math/rand/v2"
	"slices"
)

// Title is a corporation title: a name members can be given. EVE numbers a
// corporation's titles with powers of two (1, 2, 4, … up to 16 titles).
// Titles in the simulator carry no roles: a character's roles are its own
// (Character.Roles), so no title is named after a role.
type Title struct {
	ID   int32
	Name string
}

// titleNames are the names generated titles take; the first is always
// "Member", the rest are drawn in a random order.
var titleNames = []string{
	"Member", "Officer", "Fleet Commander", "Recruiter", "Diplomat", "Logistics", "Industrialist", "Veteran",
}

// titleStream seeds the random stream of titles and killmails. It is not
// the generator's main stream, so adding them left every universe generated
// before (names, corporations, members) as it was for its seed.
const titleStream = 0x7469746c6573

// generateTitles gives every player corporation three to six titles and
// about one member in four one or two of them. r is its own stream.
func (u *Universe) generateTitles(r *rand.Rand, corpIDs []int32) {
	rest := slices.Clone(titleNames[1:])
	for _, cid := range corpIDs {
		n := 3 + r.IntN(4)
		r.Shuffle(len(rest), func(i, j int) { rest[i], rest[j] = rest[j], rest[i] })
		titles := make([]Title, n)
		titles[0] = Title{ID: 1, Name: titleNames[0]}
		for i := 1; i < n; i++ {
			titles[i] = Title{ID: 1 << i, Name: rest[i-1]}
		}
		u.corporations[cid].Titles = titles
		for _, mid := range u.members[cid] {
			if r.IntN(4) != 0 {
				continue
			}
			ids := []int32{titles[r.IntN(n)].ID}
			if r.IntN(3) == 0 {
				if t := titles[r.IntN(n)].ID; t != ids[0] {
					ids = append(ids, t)
				}
			}
			slices.Sort(ids)
			u.characters[mid].TitleIDs = ids
		}
	}
}

// Titles lists a corporation's titles in id order (none for NPC
// corporations).
func (u *Universe) Titles(corpID int32) ([]Title, error) {
	u.mu.RLock()
	defer u.mu.RUnlock()
	c, ok := u.corporations[corpID]
	if !ok {
		return nil, fmt.Errorf("%w: %d", ErrNoCorporation, corpID)
	}
	return slices.Clone(c.Titles), nil
}

// SetTitles replaces a character's titles. Every id must be a title of the
// character's corporation; duplicates are dropped. An empty list takes all
// titles away.
func (u *Universe) SetTitles(charID int32, titleIDs []int32) error {
	return u.change(charID, false, func(c *Character) error {
		titles := u.corporations[c.CorporationID].Titles
		ids := slices.Clone(titleIDs)
		for _, id := range ids {
			if !slices.ContainsFunc(titles, func(t Title) bool { return t.ID == id }) {
				return fmt.Errorf("%w: %d in corporation %d", ErrNoTitle, id, c.CorporationID)
			}
		}
		slices.Sort(ids)
		c.TitleIDs = slices.Compact(ids)
		if len(c.TitleIDs) == 0 {
			c.TitleIDs = nil
		}
		u.touch(int64(charID), int64(c.CorporationID))
		return nil
	})
}
