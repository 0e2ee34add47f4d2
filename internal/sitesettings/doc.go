// Package sitesettings serves the settings page, where holders of the
// settings role change what internal/settings defines: the site's name,
// texts, logo and look, and every feature's switches. The page is built
// from the definitions, so a feature that adds a setting adds it here too.
package sitesettings
