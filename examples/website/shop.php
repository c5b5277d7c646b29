<?php
// The sample shop's database and the checks every website script shares. The database is a
// SQLite file: $SHOP_DB, else shop.sqlite beside the scripts (seed.php creates it).
declare(strict_types=1);

function shop_db(): PDO
{
    $path = getenv('SHOP_DB') ?: __DIR__ . '/shop.sqlite';
    if (!is_file($path)) {
        fail(500, "the shop database $path does not exist (run seed.php)");
    }
    $db = new PDO('sqlite:' . $path, null, null, [PDO::ATTR_ERRMODE => PDO::ERRMODE_EXCEPTION]);
    $db->exec('PRAGMA busy_timeout = 5000');
    return $db;
}

// The scripts answer only Wharf's connection: HTTP Basic with the user and password the shop
// was given ($SHOP_USER / $SHOP_PASSWORD; no password set means no check).
function require_login(): void
{
    $password = getenv('SHOP_PASSWORD');
    if ($password === false || $password === '') {
        return;
    }
    $user = getenv('SHOP_USER') ?: 'zynk';
    if (($_SERVER['PHP_AUTH_USER'] ?? null) !== $user || !hash_equals($password, $_SERVER['PHP_AUTH_PW'] ?? '')) {
        header('WWW-Authenticate: Basic realm="shop"');
        fail(401, 'wrong or missing credentials');
    }
}

function fail(int $status, string $message): never
{
    http_response_code($status);
    header('Content-Type: text/plain; charset=utf-8');
    echo "ERROR: $message\n";
    exit;
}

// The posted document (the raw body, as Zynk posts it), namespaces on Company dropped.
function posted_xml(): SimpleXMLElement
{
    $body = file_get_contents('php://input');
    if ($body === false || trim($body) === '') {
        fail(400, 'no XML was posted');
    }
    $body = preg_replace('/<Company\b[^>]*>/', '<Company>', $body, 1);
    libxml_use_internal_errors(true);
    $xml = simplexml_load_string($body, 'SimpleXMLElement', LIBXML_NONET);
    if ($xml === false) {
        $error = libxml_get_errors()[0] ?? null;
        fail(400, 'the posted XML cannot be read' . ($error ? ': ' . trim($error->message) : ''));
    }
    return $xml;
}

function x(mixed $value): string
{
    return htmlspecialchars((string) $value, ENT_XML1 | ENT_QUOTES, 'UTF-8');
}
