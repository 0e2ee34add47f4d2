<?php
// Known-answer vectors for phpBB's bcrypt_2y driver, made with PHP's own
// password_hash (cost 10, phpBB's passwords.driver.bcrypt_cost), as phpBB
// writes them. Made once with:
//   php vectors.php > vectors.json
// (PHP 8.2 from Debian). Each vector is a password, its hash, and a
// password that must not match.
$passwords = ["Abcdefgh12345678", "my own forum password", "Ünïcödé ✓ пароль", "it's \"quoted\"",
	str_repeat("x", 72) . "ignored after 72 bytes", ""];
$out = [];
foreach ($passwords as $p) {
	$h = password_hash($p, PASSWORD_BCRYPT, ["cost" => 10]);
	if (!password_verify($p, $h)) { fwrite(STDERR, "does not verify\n"); exit(1); }
	$out[] = ["password" => $p, "hash" => $h, "wrong" => "W" . $p];
}
echo json_encode($out, JSON_PRETTY_PRINT | JSON_UNESCAPED_UNICODE | JSON_UNESCAPED_SLASHES), "\n";
