-- The tables of an SMF 2.1 forum the smf connector reads or writes, as
-- SMF's MySQL installer makes them: the columns it touches and every NOT
-- NULL column without a default, with SMF's types, defaults and keys, the
-- default groups (1 Administrator, 2 Global Moderator, 3 Moderator, 4-8
-- post count groups) and its admin. Written for Keepstar from SMF's schema
-- definition (other/install_2-1_mysql.sql); {prefix} is the table prefix.
-- Statements end with ";" at the end of a line.

CREATE TABLE {prefix}membergroups (
	id_group SMALLINT UNSIGNED AUTO_INCREMENT,
	group_name VARCHAR(80) NOT NULL DEFAULT '',
	description TEXT NOT NULL,
	online_color VARCHAR(20) NOT NULL DEFAULT '',
	min_posts MEDIUMINT NOT NULL DEFAULT '-1',
	max_messages SMALLINT UNSIGNED NOT NULL DEFAULT '0',
	icons VARCHAR(255) NOT NULL DEFAULT '',
	group_type TINYINT NOT NULL DEFAULT '0',
	hidden TINYINT NOT NULL DEFAULT '0',
	id_parent SMALLINT NOT NULL DEFAULT '-2',
	tfa_required TINYINT NOT NULL DEFAULT '0',
	PRIMARY KEY (id_group),
	INDEX idx_min_posts (min_posts)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;

CREATE TABLE {prefix}members (
	id_member MEDIUMINT UNSIGNED AUTO_INCREMENT,
	member_name VARCHAR(80) NOT NULL DEFAULT '',
	date_registered INT UNSIGNED NOT NULL DEFAULT '0',
	posts MEDIUMINT UNSIGNED NOT NULL DEFAULT '0',
	id_group SMALLINT UNSIGNED NOT NULL DEFAULT '0',
	lngfile VARCHAR(255) NOT NULL DEFAULT '',
	last_login INT UNSIGNED NOT NULL DEFAULT '0',
	real_name VARCHAR(255) NOT NULL DEFAULT '',
	buddy_list TEXT NOT NULL,
	pm_ignore_list TEXT NULL,
	passwd VARCHAR(64) NOT NULL DEFAULT '',
	email_address VARCHAR(255) NOT NULL DEFAULT '',
	signature TEXT NOT NULL,
	avatar VARCHAR(255) NOT NULL DEFAULT '',
	member_ip VARBINARY(16),
	member_ip2 VARBINARY(16),
	is_activated TINYINT UNSIGNED NOT NULL DEFAULT '1',
	validation_code VARCHAR(10) NOT NULL DEFAULT '',
	additional_groups VARCHAR(255) NOT NULL DEFAULT '',
	id_post_group SMALLINT UNSIGNED NOT NULL DEFAULT '0',
	password_salt VARCHAR(255) NOT NULL DEFAULT '',
	ignore_boards TEXT NOT NULL,
	passwd_flood VARCHAR(12) NOT NULL DEFAULT '',
	PRIMARY KEY (id_member),
	INDEX idx_member_name (member_name),
	INDEX idx_real_name (real_name),
	INDEX idx_id_group (id_group),
	INDEX idx_active_real_name (is_activated, real_name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;

CREATE TABLE {prefix}log_online (
	session VARCHAR(128) DEFAULT '',
	log_time INT NOT NULL DEFAULT '0',
	id_member MEDIUMINT UNSIGNED NOT NULL DEFAULT '0',
	id_spider SMALLINT UNSIGNED NOT NULL DEFAULT '0',
	ip VARBINARY(16),
	url VARCHAR(2048) NOT NULL DEFAULT '',
	PRIMARY KEY (session),
	INDEX idx_log_time (log_time),
	INDEX idx_id_member (id_member)
) ENGINE=MEMORY;

INSERT INTO {prefix}membergroups (id_group, group_name, description, online_color, min_posts, icons, group_type) VALUES
	(1, 'Administrator', '', '#FF0000', -1, '5#iconadmin.png', 1),
	(2, 'Global Moderator', '', '#0000FF', -1, '5#icongmod.png', 0),
	(3, 'Moderator', '', '', -1, '5#iconmod.png', 0),
	(4, 'Newbie', '', '', 0, '1#icon.png', 0),
	(5, 'Jr. Member', '', '', 50, '2#icon.png', 0),
	(6, 'Full Member', '', '', 100, '3#icon.png', 0),
	(7, 'Sr. Member', '', '', 250, '4#icon.png', 0),
	(8, 'Hero Member', '', '', 500, '5#icon.png', 0);

INSERT INTO {prefix}members (member_name, real_name, passwd, email_address, date_registered, id_group, buddy_list, signature, ignore_boards) VALUES
	('admin', 'admin', '$2y$10$zCwa7lN1y0V7tp1z0y5b8e0N0Y4dY8wM9a6m3Pz8Yx7z3lG2e1a6m', 'admin@example.org', 0, 1, '', '', '');
