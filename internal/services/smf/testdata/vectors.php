<?php
// Known-answer vectors for SMF 2.1's passwd: PHP's password_hash
// (PASSWORD_BCRYPT, cost 10: SMF's hash_password with its default
// bcrypt_hash_cost) of the lower-cased member_name followed by the
// password. Made once with:
//   php vectors.php > vectors.json
// (PHP 8.2 from Debian). mb_strtolower stands for SMF's UTF-8 strtolower.
$cases = [["Bob O_Brien", "Abcdefgh12345678"], ["Иван Петров", "my own forum password"], ["ADMIN", "pässwörd ✓"],
	["A Long Character Name Here", str_repeat("p", 60)]];
$out = [];
foreach ($cases as [$name, $p]) {
	$h = password_hash(mb_strtolower($name, "UTF-8") . $p, PASSWORD_BCRYPT, ["cost" => 10]);
	$out[] = ["member_name" => $name, "password" => $p, "hash" => $h];
}
echo json_encode($out, JSON_PRETTY_PRINT | JSON_UNESCAPED_UNICODE | JSON_UNESCAPED_SLASHES), "\n";
