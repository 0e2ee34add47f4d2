// Package images is the simulated EVE image server (images.evetech.net):
// character portraits, corporation and alliance logos and type icons and
// renders, on the real server's paths (/characters/{id}/portrait?size=N,
// /corporations/{id}/logo, /alliances/{id}/logo, /types/{id}/icon and
// /types/{id}/render).
//
// The images are placeholders: a small SVG square in a colour derived from
// the id, with a character's initials or a corporation's or alliance's
// ticker in white, drawn at the requested size. Portraits and logos exist
// only for ids the universe knows (404 otherwise; the real server sometimes
// answers with a default image instead); faction logos are served under
// /corporations/{faction_id}/logo, as on the real server. Types are not
// looked up: any positive type id gets a grey square with its number.
//
// The simulator mounts the handler under /images/, so Keepstar's images
// base URL for the simulator is <simulator URL>/images.
package images
