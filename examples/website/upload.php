<?php
// Zynk upload script: reads posted stock records (Company/Products/Product) and sets each
// product's stock level, matched by SKU (QtyInStock, as the shipped Zynk scripts do).
declare(strict_types=1);
require __DIR__ . '/shop.php';

require_login();
$xml = posted_xml();
$db = shop_db();
$db->beginTransaction();
$update = $db->prepare('UPDATE products SET stock = ? WHERE sku = ?');
$updated = $unknown = 0;
foreach ($xml->Products->Product ?? [] as $p) {
    $qty = (string) $p->QtyInStock;
    if (!is_numeric($qty)) {
        continue;
    }
    $update->execute([(float) $qty, (string) $p->Sku]);
    $update->rowCount() ? $updated++ : $unknown++;
}
$db->commit();
header('Content-Type: text/plain; charset=utf-8');
echo "OK updated=$updated unknown=$unknown\n";
