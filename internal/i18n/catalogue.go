package i18n

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"path"
	"slices"
	"strings"
	"text/template"
	"text/template/parse"

	"github.com/BurntSushi/toml"
	goi18n "github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"
)

// Source is the tag of the source language: every message id exists in its
// catalogue, and every other catalogue falls back to it.
const Source = "en"

// nameID is the message each language must have, in i18n's own catalogue:
// the language's name in itself, for the language menu.
const nameID = "language.name"

// locales is i18n's own catalogue: the name of each supported language in
// itself. A language is supported when it is here; the features' catalogues
// translate into it.
//
//go:embed locales/*.toml
var locales embed.FS

// Language is a supported language: its BCP 47 tag, as in the catalogue's
// file name, and its name in itself ("Deutsch").
type Language struct {
	Tag  string
	Name string
}

// Catalogue holds every message of every supported language. It is built once
// at start-up and is safe for concurrent use.
type Catalogue struct {
	languages  []Language            // Source first, then by tag, as load merges the files
	localizers map[string]*Localizer // by tag, one per supported language
	english    *Localizer
	own        map[string]map[string]bool // ids each language's files themselves have, by tag
	fields     map[string]map[string]bool // template fields of each English message, by id

	// matcher picks the supported language that best fits an Accept-Language
	// header; tags are the supported tags in the matcher's index order.
	matcher language.Matcher
	tags    []string
	matched matchCache

	// pseudo: the copy WithPseudo made, which gives PseudoTag to a header
	// naming it.
	pseudo bool
}

// Load builds the catalogue from i18n's own (the languages' names) and the
// catalogues given: each the messages of one package, a file system with one
// locales/<tag>.toml per language, as the package embeds them
// (//go:embed locales/*.toml). The catalogues are merged; see load for what
// makes them refused. Errors name a catalogue by its place in the list,
// counted from 1 (0 is i18n's own).
func Load(catalogues ...fs.FS) (*Catalogue, error) {
	return load(append([]fs.FS{locales}, catalogues...))
}

// file is one language's messages in one catalogue.
type file struct {
	cat  int    // the catalogue's index in load's list
	name string // locales/de.toml
	tag  language.Tag
	msgs []*goi18n.Message
}

func (f file) String() string { return fmt.Sprintf("catalogue %d: %s", f.cat, f.name) }

// load merges catalogues, each a file system holding locales/<tag>.toml
// files named by the language's canonical BCP 47 tag ("de.toml",
// "zh-Hans.toml"). Every file must parse, and every problem found is reported
// at once: a message id in two catalogues, a message without an "other" form,
// an English message without a description, a translation whose id the
// en.toml beside it does not have (a typo would otherwise go unnoticed), a
// template that does not parse or that uses a field the English message does
// not, a language without language.name.
func load(catalogues []fs.FS) (*Catalogue, error) {
	var (
		problems []error
		english  []file
		others   []file
		owner    = make(map[string]int) // the catalogue of each English id
	)
	for i, fsys := range catalogues {
		names, err := fs.Glob(fsys, "locales/*.toml")
		if err != nil {
			problems = append(problems, fmt.Errorf("catalogue %d: %w", i, err))
			continue
		}
		for _, name := range names {
			f := file{cat: i, name: name}
			if f.tag, f.msgs, err = readFile(fsys, name); err != nil {
				problems = append(problems, fmt.Errorf("catalogue %d: %w", i, err))
				continue
			}
			if f.tag.String() != Source {
				others = append(others, f)
				continue
			}
			english = append(english, f)
			for _, m := range f.msgs {
				if j, ok := owner[m.ID]; ok {
					problems = append(problems, fmt.Errorf("%s: message %q is also in catalogue %d; an id has one owner", f, m.ID, j))
					continue
				}
				owner[m.ID] = i
			}
		}
	}
	if len(english) == 0 && len(problems) == 0 {
		return nil, fmt.Errorf("i18n: no %s.toml, the catalogue of the source language", Source)
	}

	// English first, as the translations are checked against it.
	fields := make(map[string]map[string]bool) // template fields of each English message, by id
	byTag := make(map[string][]*goi18n.Message)
	for _, f := range english {
		for _, m := range f.msgs {
			used, err := checkMessage(m, nil)
			if err != nil {
				problems = append(problems, fmt.Errorf("%s: message %q: %w", f, m.ID, err))
				continue
			}
			fields[m.ID] = used
		}
		byTag[Source] = append(byTag[Source], f.msgs...)
	}
	if len(problems) > 0 {
		// Translations checked against a broken English would only add noise.
		return nil, fmt.Errorf("i18n: the catalogue is not valid: %w", errors.Join(problems...))
	}
	tags := map[string]language.Tag{Source: language.English}
	for _, f := range others {
		tags[f.tag.String()] = f.tag
		for _, m := range f.msgs {
			if j, ok := owner[m.ID]; ok && j != f.cat {
				// A translation lives beside its English, so that moving a
				// package's messages moves them all.
				problems = append(problems, fmt.Errorf("%s: message %q: its English is in catalogue %d", f, m.ID, j))
				continue
			}
			if _, err := checkMessage(m, fields); err != nil {
				problems = append(problems, fmt.Errorf("%s: message %q: %w", f, m.ID, err))
			}
		}
		byTag[f.tag.String()] = append(byTag[f.tag.String()], f.msgs...)
	}

	// English, then by tag: the order of Languages. Each language must name
	// itself.
	order := slices.Sorted(maps.Keys(tags))
	order = append([]string{Source}, slices.DeleteFunc(order, func(t string) bool { return t == Source })...)
	bundle := goi18n.NewBundle(language.English)
	var supported []language.Tag
	for _, t := range order {
		msgs := byTag[t]
		slices.SortFunc(msgs, func(a, b *goi18n.Message) int { return strings.Compare(a.ID, b.ID) })
		if !slices.ContainsFunc(msgs, func(m *goi18n.Message) bool { return m.ID == nameID }) {
			problems = append(problems, fmt.Errorf("%s: no message %q, the language's name in itself", t, nameID))
			continue
		}
		if err := bundle.AddMessages(tags[t], msgs...); err != nil {
			problems = append(problems, fmt.Errorf("%s: %w", t, err))
			continue
		}
		supported = append(supported, tags[t])
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("i18n: the catalogue is not valid: %w", errors.Join(problems...))
	}
	c := build(bundle, supported, byTag)
	c.fields = fields
	return c, nil
}

// readFile parses the catalogue file name, whose name gives its language, and
// returns its messages.
func readFile(fsys fs.FS, name string) (language.Tag, []*goi18n.Message, error) {
	tagName := strings.TrimSuffix(path.Base(name), ".toml")
	tag, err := language.Parse(tagName)
	if err != nil {
		return language.Und, nil, fmt.Errorf("%s: the file name is not a language tag: %w", name, err)
	}
	if tag.String() != tagName {
		// Tags are compared as strings (stored choices, Localizer), so the
		// file name must be the one spelling language.Tag gives.
		return language.Und, nil, fmt.Errorf("%s: name the file %s.toml, the canonical spelling of its tag", name, tag)
	}
	data, err := fs.ReadFile(fsys, name)
	if err != nil {
		return language.Und, nil, fmt.Errorf("%s: %w", name, err)
	}
	file, err := goi18n.ParseMessageFileBytes(data, name, map[string]goi18n.UnmarshalFunc{"toml": toml.Unmarshal})
	if err != nil {
		return language.Und, nil, fmt.Errorf("%s: %w", name, err)
	}
	return tag, file.Messages, nil
}

// checkMessage reports what is wrong with m: a message of en.toml when
// source is nil, else of a translation checked against source, the template
// fields of each English message by id. It returns the fields m uses.
func checkMessage(m *goi18n.Message, source map[string]map[string]bool) (map[string]bool, error) {
	if m.Other == "" {
		return nil, errors.New(`no "other" form, the form used when no other applies`)
	}
	if source == nil && m.Description == "" {
		// Also catches a misspelt key ("otehr = ..."), which go-i18n reads
		// as a message of its own, named by the key, without a description.
		return nil, errors.New("no description for the translators")
	}
	var english map[string]bool
	if source != nil {
		var ok bool
		if english, ok = source[m.ID]; !ok {
			return nil, fmt.Errorf("not in %s.toml; add it there first, or fix the id", Source)
		}
	}
	used := make(map[string]bool)
	for _, src := range forms(m) {
		if err := templateFields(src, m.LeftDelim, m.RightDelim, used); err != nil {
			return nil, err
		}
	}
	if source != nil {
		for f := range used {
			if !english[f] {
				return nil, fmt.Errorf("uses {{.%s}}, which the English message does not have", f)
			}
		}
	}
	return used, nil
}

// forms returns the texts of m's plural forms that are set.
func forms(m *goi18n.Message) []string {
	var texts []string
	for _, t := range []string{m.Zero, m.One, m.Two, m.Few, m.Many, m.Other} {
		if t != "" {
			texts = append(texts, t)
		}
	}
	return texts
}

// templateFields parses src as go-i18n will and adds the top-level fields it
// uses ({{.Name}}) to used.
func templateFields(src, left, right string, used map[string]bool) error {
	if left == "" {
		left = "{{"
	}
	if right == "" {
		right = "}}"
	}
	if !strings.Contains(src, left) {
		return nil
	}
	t, err := template.New("").Delims(left, right).Parse(src)
	if err != nil {
		return fmt.Errorf("template: %w", err)
	}
	var walk func(parse.Node)
	walk = func(n parse.Node) {
		switch n := n.(type) {
		case *parse.ListNode:
			if n != nil {
				for _, c := range n.Nodes {
					walk(c)
				}
			}
		case *parse.ActionNode:
			walk(n.Pipe)
		case *parse.PipeNode:
			if n != nil {
				for _, c := range n.Cmds {
					walk(c)
				}
			}
		case *parse.CommandNode:
			for _, a := range n.Args {
				walk(a)
			}
		case *parse.ChainNode:
			walk(n.Node)
		case *parse.FieldNode:
			used[n.Ident[0]] = true
		case *parse.IfNode:
			walk(n.Pipe)
			walk(n.List)
			walk(n.ElseList)
		case *parse.WithNode:
			walk(n.Pipe)
			walk(n.List)
			walk(n.ElseList)
		case *parse.RangeNode:
			walk(n.Pipe)
			walk(n.List)
			walk(n.ElseList)
		}
	}
	walk(t.Root)
	return nil
}

// build makes the catalogue from checked messages, files by tag; tags has
// the source language first.
func build(bundle *goi18n.Bundle, tags []language.Tag, files map[string][]*goi18n.Message) *Catalogue {
	c := &Catalogue{
		localizers: make(map[string]*Localizer, len(tags)),
		own:        make(map[string]map[string]bool, len(tags)),
		matcher:    language.NewMatcher(tags), // index 0, English, is what it gives when nothing matches
		tags:       make([]string, len(tags)),
		matched:    matchCache{m: make(map[string]string)},
	}
	for i, t := range tags {
		c.tags[i] = t.String()
	}

	// Resolve each (language, id) once here, fallback included, so that T is
	// a single map lookup.
	var source map[string]entry
	for _, tag := range c.tags {
		own := make(map[string]bool, len(files[tag]))
		loc := goi18n.NewLocalizer(bundle, tag)
		entries := make(map[string]entry, len(files[Source]))
		for _, m := range files[tag] {
			own[m.ID] = true
			entries[m.ID] = newEntry(m, loc)
		}
		for id, e := range source { // nil for English itself
			if !own[id] {
				entries[id] = e
			}
		}
		if tag == Source {
			source = entries
		}
		c.own[tag] = own
		c.localizers[tag] = &Localizer{tag: tag, entries: entries}
		c.languages = append(c.languages, Language{Tag: tag, Name: entries[nameID].text})
	}
	c.english = c.localizers[Source]
	return c
}

// Languages returns the supported languages, English first, then by tag.
func (c *Catalogue) Languages() []Language {
	return slices.Clone(c.languages)
}

// Localizer returns the localizer of the language tag names, as given by
// Match; English for a tag that is not supported.
func (c *Catalogue) Localizer(tag string) *Localizer {
	if l, ok := c.localizers[tag]; ok {
		return l
	}
	return c.english
}

// Has reports whether the message id exists in English, and so in every
// language. Tests of templates use it to catch ids that do not exist.
func (c *Catalogue) Has(id string) bool {
	return c.own[Source][id]
}

// Fields lists the placeholders ({{.Name}}) of an English message, sorted;
// T needs a value for each.
func (c *Catalogue) Fields(id string) []string {
	return slices.Sorted(maps.Keys(c.fields[id]))
}

// Missing returns, sorted, the ids of English messages that the catalogue of
// tag does not translate: the work left to its translators. An unsupported
// tag lacks them all.
func (c *Catalogue) Missing(tag string) []string {
	own := c.own[tag]
	var ids []string
	for id := range c.own[Source] {
		if !own[id] {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids
}
