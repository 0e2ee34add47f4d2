// Package browsertest drives a whole Keepstar site (internal/sitetest) with a
// real Chromium through chromedp, as a person at a desktop and at a phone
// would: it clicks through the simulated EVE SSO's page, Keepstar's pages,
// menus and forms, and checks what the pages show and what the database
// holds afterwards. It also takes screenshots of the pages at each viewport.
//
// The tests need a Chromium binary and are skipped without one. Run them
// with
//
//	KEEPSTAR_TEST_CHROMIUM=/usr/bin/chromium go test ./internal/browsertest/
//
// With CI=true a KEEPSTAR_TEST_CHROMIUM that names no binary fails the tests
// instead of skipping them. KEEPSTAR_TEST_ARTIFACTS, when it names a
// folder, receives a copy of the screenshots (one subfolder per viewport);
// without it, the accessibility audit keeps its screenshots in the test's
// artifact folder (go test -artifacts -outputdir DIR). Neither is committed.
//
// The package holds only tests; this file is its documentation.
package browsertest
