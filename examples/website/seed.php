<?php
// Creates the sample shop: php seed.php SHOP_DB SAGE_PRODUCTS_XML [customers] [orders] [bad] [products]
//
// SHOP_DB gets customers, products (stock 0: the integration fills it from Sage) and orders,
// `bad` of them with a negative unit price that Sage refuses. SAGE_PRODUCTS_XML gets the same
// products as Connect XML with their stock, for `wharf sage load`. Deterministic.
declare(strict_types=1);

if (PHP_SAPI !== 'cli' || $argc < 3) {
    fwrite(STDERR, "usage: php seed.php SHOP_DB SAGE_PRODUCTS_XML [customers=200] [orders=500] [bad=5] [products=450]\n");
    exit(2);
}
[$dbPath, $sagePath] = [$argv[1], $argv[2]];
$customerCount = (int) ($argv[3] ?? 200);
$orderCount = (int) ($argv[4] ?? 500);
$badCount = (int) ($argv[5] ?? 5);
$productCount = (int) ($argv[6] ?? 450);
mt_srand(42);

@unlink($dbPath);
$db = new PDO('sqlite:' . $dbPath, null, null, [PDO::ATTR_ERRMODE => PDO::ERRMODE_EXCEPTION]);
$db->exec('
    CREATE TABLE customers (id INTEGER PRIMARY KEY, company TEXT, forename TEXT, surname TEXT,
        email TEXT, address1 TEXT, town TEXT, postcode TEXT, account_reference TEXT,
        posted INTEGER NOT NULL DEFAULT 0);
    CREATE TABLE products (sku TEXT PRIMARY KEY, name TEXT NOT NULL, price REAL NOT NULL,
        stock REAL NOT NULL DEFAULT 0);
    CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL REFERENCES customers,
        order_date TEXT NOT NULL, posted INTEGER NOT NULL DEFAULT 0, sage_order_number TEXT);
    CREATE TABLE order_items (order_id INTEGER NOT NULL REFERENCES orders, line INTEGER NOT NULL,
        sku TEXT NOT NULL, qty REAL NOT NULL, unit_price REAL NOT NULL, PRIMARY KEY (order_id, line));
');
$db->beginTransaction();

$forenames = ['Ada', 'Ben', 'Cara', 'Dev', 'Esme', 'Finn', 'Gita', 'Hal', 'Iris', 'Jon'];
$surnames = ['Archer', 'Baker', 'Cooper', 'Dyer', 'Fisher', 'Mason', 'Porter', 'Slater', 'Turner', 'Wright'];
$towns = ['Leeds', 'York', 'Bath', 'Derby', 'Hull', 'Ely', 'Wells', 'Ripon'];
$insert = $db->prepare('INSERT INTO customers (id, company, forename, surname, email, address1, town, postcode) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
for ($c = 1; $c <= $customerCount; $c++) {
    $forename = $forenames[mt_rand(0, 9)];
    $surname = $surnames[mt_rand(0, 9)];
    $insert->execute([$c, "$surname & Co $c", $forename, $surname, strtolower("$forename.$surname$c@example.com"),
        mt_rand(1, 200) . ' High Street', $towns[mt_rand(0, 7)], sprintf('AB%d %dCD', mt_rand(1, 99), mt_rand(1, 9))]);
}

$sage = fopen($sagePath, 'w');
fwrite($sage, "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<Company>\n  <Products>\n");
$insert = $db->prepare('INSERT INTO products (sku, name, price) VALUES (?, ?, ?)');
$prices = [];
for ($p = 1; $p <= $productCount; $p++) {
    $sku = sprintf('SKU%04d', $p);
    $prices[$sku] = mt_rand(100, 9999) / 100;
    $insert->execute([$sku, "Product $p", $prices[$sku]]);
    fwrite($sage, "    <Product>\n      <Sku>$sku</Sku>\n      <Name>Product $p</Name>\n"
        . "      <SalePrice>{$prices[$sku]}</SalePrice>\n      <QtyInStock>" . mt_rand(20, 500) . "</QtyInStock>\n"
        . "      <TaxCode>1</TaxCode>\n      <NominalCode>4000</NominalCode>\n    </Product>\n");
}
fwrite($sage, "  </Products>\n</Company>\n");
fclose($sage);

// The bad orders are spread through the file, not bunched at one end.
$bad = [];
for ($b = 1; $b <= $badCount; $b++) {
    $bad[intdiv($b * $orderCount, $badCount + 1)] = true;
}
$order = $db->prepare('INSERT INTO orders (id, customer_id, order_date) VALUES (?, ?, ?)');
$item = $db->prepare('INSERT INTO order_items (order_id, line, sku, qty, unit_price) VALUES (?, ?, ?, ?, ?)');
$skus = array_keys($prices);
for ($o = 1; $o <= $orderCount; $o++) {
    // Every customer orders at least once; the rest pick at random.
    $customer = $o <= $customerCount ? $o : mt_rand(1, $customerCount);
    $order->execute([$o, $customer, sprintf('2026-11-%02dT%02d:%02d:00', mt_rand(1, 28), mt_rand(8, 20), mt_rand(0, 59))]);
    $lines = mt_rand(1, 3);
    for ($l = 1; $l <= $lines; $l++) {
        $sku = $skus[mt_rand(0, count($skus) - 1)];
        $price = isset($bad[$o]) && $l === 1 ? -1 * $prices[$sku] : $prices[$sku];
        $item->execute([$o, $l, $sku, mt_rand(1, 3), $price]);
    }
}
$db->commit();
printf("shop: %d customers, %d orders (%d bad), %d products\n", $customerCount, $orderCount, $badCount, $productCount);
