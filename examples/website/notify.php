<?php
// Zynk notify script: reads a posted success file and marks its records posted, keeping the
// Sage references (a customer's AccountReference, an order's SalesOrderNumber).
declare(strict_types=1);
require __DIR__ . '/shop.php';

require_login();
$xml = posted_xml();
$db = shop_db();
$db->beginTransaction();
$customer = $db->prepare('UPDATE customers SET posted = 1, account_reference = ? WHERE id = ?');
$order = $db->prepare('UPDATE orders SET posted = 1, sage_order_number = ? WHERE id = ?');
$customers = $orders = $unknown = 0;
foreach ($xml->Customers->Customer ?? [] as $c) {
    $customer->execute([(string) $c->AccountReference, (string) $c->Id]);
    $customer->rowCount() ? $customers++ : $unknown++;
}
foreach ($xml->SalesOrders->SalesOrder ?? [] as $o) {
    $number = (string) $o->SalesOrderNumber;
    if ($number === '') {
        continue; // not in Sage: stays unposted
    }
    $order->execute([$number, (string) $o->Id]);
    $order->rowCount() ? $orders++ : $unknown++;
}
$db->commit();
header('Content-Type: text/plain; charset=utf-8');
echo "OK customers=$customers orders=$orders unknown=$unknown\n";
