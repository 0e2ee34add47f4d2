-- The tables of a phpBB 3.3 forum the phpbb3 connector reads or writes,
-- as phpBB's MySQL installer makes them: the columns it touches and every
-- NOT NULL column without a default, with phpBB's types (UINT is
-- mediumint(8) UNSIGNED, TIMESTAMP int(11) UNSIGNED, BOOL tinyint(1)
-- UNSIGNED, the *_UNI text types utf8 with utf8_bin), its defaults, keys
-- and default rows (groups 1 to 7, Anonymous and the founder). Written for
-- Keepstar from phpBB's schema definitions (install/schemas, the 3.1+
-- migrations); {prefix} is the table prefix. Statements end with ";" at
-- the end of a line.

CREATE TABLE {prefix}users (
	user_id mediumint(8) UNSIGNED NOT NULL auto_increment,
	user_type tinyint(2) DEFAULT '0' NOT NULL,
	group_id mediumint(8) UNSIGNED DEFAULT '3' NOT NULL,
	user_permissions mediumtext NOT NULL,
	user_perm_from mediumint(8) UNSIGNED DEFAULT '0' NOT NULL,
	user_ip varchar(40) DEFAULT '' NOT NULL,
	user_regdate int(11) UNSIGNED DEFAULT '0' NOT NULL,
	username varchar(255) DEFAULT '' NOT NULL,
	username_clean varchar(255) DEFAULT '' NOT NULL,
	user_password varchar(255) DEFAULT '' NOT NULL,
	user_passchg int(11) UNSIGNED DEFAULT '0' NOT NULL,
	user_email varchar(100) DEFAULT '' NOT NULL,
	user_lastvisit int(11) UNSIGNED DEFAULT '0' NOT NULL,
	user_login_attempts tinyint(4) DEFAULT '0' NOT NULL,
	user_inactive_reason tinyint(2) DEFAULT '0' NOT NULL,
	user_inactive_time int(11) UNSIGNED DEFAULT '0' NOT NULL,
	user_posts mediumint(8) UNSIGNED DEFAULT '0' NOT NULL,
	user_lang varchar(30) DEFAULT '' NOT NULL,
	user_timezone varchar(100) DEFAULT '' NOT NULL,
	user_dateformat varchar(64) DEFAULT 'd M Y H:i' NOT NULL,
	user_style mediumint(8) UNSIGNED DEFAULT '0' NOT NULL,
	user_rank mediumint(8) UNSIGNED DEFAULT '0' NOT NULL,
	user_colour varchar(6) DEFAULT '' NOT NULL,
	user_options int(11) UNSIGNED DEFAULT '230271' NOT NULL,
	user_avatar varchar(255) DEFAULT '' NOT NULL,
	user_avatar_type varchar(255) DEFAULT '' NOT NULL,
	user_avatar_width smallint(4) UNSIGNED DEFAULT '0' NOT NULL,
	user_avatar_height smallint(4) UNSIGNED DEFAULT '0' NOT NULL,
	user_sig mediumtext NOT NULL,
	user_sig_bbcode_uid varchar(8) DEFAULT '' NOT NULL,
	user_jabber varchar(255) DEFAULT '' NOT NULL,
	user_actkey varchar(32) DEFAULT '' NOT NULL,
	user_actkey_expiration int(11) UNSIGNED DEFAULT '0' NOT NULL,
	user_newpasswd varchar(255) DEFAULT '' NOT NULL,
	user_form_salt varchar(32) DEFAULT '' NOT NULL,
	user_new tinyint(1) UNSIGNED DEFAULT '1' NOT NULL,
	user_reminded tinyint(4) DEFAULT '0' NOT NULL,
	user_reminded_time int(11) UNSIGNED DEFAULT '0' NOT NULL,
	PRIMARY KEY (user_id),
	KEY user_type (user_type),
	UNIQUE username_clean (username_clean)
) CHARACTER SET `utf8mb3` COLLATE `utf8mb3_bin`;

CREATE TABLE {prefix}groups (
	group_id mediumint(8) UNSIGNED NOT NULL auto_increment,
	group_type tinyint(4) DEFAULT '1' NOT NULL,
	group_founder_manage tinyint(1) UNSIGNED DEFAULT '0' NOT NULL,
	group_skip_auth tinyint(1) UNSIGNED DEFAULT '0' NOT NULL,
	group_name varchar(255) DEFAULT '' NOT NULL,
	group_desc text NOT NULL,
	group_desc_bitfield varchar(255) DEFAULT '' NOT NULL,
	group_desc_options int(11) UNSIGNED DEFAULT '7' NOT NULL,
	group_desc_uid varchar(8) DEFAULT '' NOT NULL,
	group_display tinyint(1) UNSIGNED DEFAULT '0' NOT NULL,
	group_avatar varchar(255) DEFAULT '' NOT NULL,
	group_avatar_type varchar(255) DEFAULT '' NOT NULL,
	group_rank mediumint(8) UNSIGNED DEFAULT '0' NOT NULL,
	group_colour varchar(6) DEFAULT '' NOT NULL,
	group_receive_pm tinyint(1) UNSIGNED DEFAULT '0' NOT NULL,
	group_max_recipients mediumint(8) UNSIGNED DEFAULT '0' NOT NULL,
	group_legend mediumint(8) UNSIGNED DEFAULT '0' NOT NULL,
	PRIMARY KEY (group_id),
	KEY group_legend_name (group_legend, group_name)
) CHARACTER SET `utf8mb3` COLLATE `utf8mb3_bin`;

CREATE TABLE {prefix}user_group (
	group_id mediumint(8) UNSIGNED DEFAULT '0' NOT NULL,
	user_id mediumint(8) UNSIGNED DEFAULT '0' NOT NULL,
	group_leader tinyint(1) UNSIGNED DEFAULT '0' NOT NULL,
	user_pending tinyint(1) UNSIGNED DEFAULT '1' NOT NULL,
	KEY group_id (group_id),
	KEY user_id (user_id),
	KEY group_leader (group_leader)
) CHARACTER SET `utf8mb3` COLLATE `utf8mb3_bin`;

CREATE TABLE {prefix}sessions (
	session_id char(32) DEFAULT '' NOT NULL,
	session_user_id mediumint(8) UNSIGNED DEFAULT '0' NOT NULL,
	session_last_visit int(11) UNSIGNED DEFAULT '0' NOT NULL,
	session_start int(11) UNSIGNED DEFAULT '0' NOT NULL,
	session_time int(11) UNSIGNED DEFAULT '0' NOT NULL,
	session_ip varchar(40) DEFAULT '' NOT NULL,
	session_browser varchar(150) DEFAULT '' NOT NULL,
	session_page varchar(255) DEFAULT '' NOT NULL,
	session_autologin tinyint(1) UNSIGNED DEFAULT '0' NOT NULL,
	session_admin tinyint(1) UNSIGNED DEFAULT '0' NOT NULL,
	PRIMARY KEY (session_id),
	KEY session_time (session_time),
	KEY session_user_id (session_user_id)
) CHARACTER SET `utf8mb3` COLLATE `utf8mb3_bin`;

CREATE TABLE {prefix}sessions_keys (
	key_id char(32) DEFAULT '' NOT NULL,
	user_id mediumint(8) UNSIGNED DEFAULT '0' NOT NULL,
	last_ip varchar(40) DEFAULT '' NOT NULL,
	last_login int(11) UNSIGNED DEFAULT '0' NOT NULL,
	PRIMARY KEY (key_id, user_id),
	KEY last_login (last_login)
) CHARACTER SET `utf8mb3` COLLATE `utf8mb3_bin`;

CREATE TABLE {prefix}config (
	config_name varchar(255) DEFAULT '' NOT NULL,
	config_value varchar(255) DEFAULT '' NOT NULL,
	is_dynamic tinyint(1) UNSIGNED DEFAULT '0' NOT NULL,
	PRIMARY KEY (config_name),
	KEY is_dynamic (is_dynamic)
) CHARACTER SET `utf8mb3` COLLATE `utf8mb3_bin`;

INSERT INTO {prefix}config (config_name, config_value) VALUES ('default_lang', 'en'), ('default_style', '1'),
	('board_timezone', 'UTC'), ('default_dateformat', 'D M d, Y g:i a'), ('max_name_chars', '20'),
	('allow_name_chars', 'USERNAME_CHARS_ANY'), ('allow_avatar_remote', '0');

INSERT INTO {prefix}groups (group_name, group_type, group_founder_manage, group_colour, group_legend, group_avatar, group_desc, group_desc_uid, group_max_recipients) VALUES
	('GUESTS', 3, 0, '', 0, '', '', '', 5),
	('REGISTERED', 3, 0, '', 0, '', '', '', 5),
	('REGISTERED_COPPA', 3, 0, '', 0, '', '', '', 5),
	('GLOBAL_MODERATORS', 3, 0, '00AA00', 2, '', '', '', 0),
	('ADMINISTRATORS', 3, 1, 'AA0000', 1, '', '', '', 0),
	('BOTS', 3, 0, '9E8DA7', 0, '', '', '', 5),
	('NEWLY_REGISTERED', 3, 0, '', 0, '', '', '', 5);

INSERT INTO {prefix}users (user_type, group_id, username, username_clean, user_regdate, user_password, user_email, user_lang, user_style, user_rank, user_colour, user_posts, user_permissions, user_ip, user_avatar, user_sig, user_sig_bbcode_uid, user_jabber, user_actkey, user_newpasswd) VALUES
	(2, 1, 'Anonymous', 'anonymous', 0, '', '', 'en', 1, 0, '', 0, '', '', '', '', '', '', '', ''),
	(3, 5, 'Admin', 'admin', 0, '$2y$10$zCwa7lN1y0V7tp1z0y5b8e0N0Y4dY8wM9a6m3Pz8Yx7z3lG2e1a6m', 'admin@example.org', 'en', 1, 1, 'AA0000', 1, '', '', '', '', '', '', '', '');

INSERT INTO {prefix}user_group (group_id, user_id, user_pending, group_leader) VALUES (1, 1, 0, 0), (2, 2, 0, 0), (4, 2, 0, 0), (5, 2, 0, 1);
