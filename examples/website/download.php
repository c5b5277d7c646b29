<?php
// Zynk download script: the customers and orders not yet posted to Sage, as Connect XML
// (Company/Customers and Company/SalesOrders in one document).
declare(strict_types=1);
require __DIR__ . '/shop.php';

require_login();
$db = shop_db();
header('Content-Type: text/xml; charset=utf-8');

$address = function (string $element, array $c): string {
    return "      <$element>\n"
        . '        <Forename>' . x($c['forename']) . "</Forename>\n"
        . '        <Surname>' . x($c['surname']) . "</Surname>\n"
        . '        <Company>' . x($c['company']) . "</Company>\n"
        . '        <Address1>' . x($c['address1']) . "</Address1>\n"
        . '        <Town>' . x($c['town']) . "</Town>\n"
        . '        <Postcode>' . x($c['postcode']) . "</Postcode>\n"
        . "        <Country>GB</Country>\n"
        . '        <Email>' . x($c['email']) . "</Email>\n"
        . "      </$element>\n";
};

echo "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n";
echo "<Company xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\">\n";
echo "  <Customers>\n";
foreach ($db->query('SELECT * FROM customers WHERE posted = 0 ORDER BY id') as $c) {
    echo "    <Customer>\n";
    echo '      <Id>' . x($c['id']) . "</Id>\n";
    echo '      <CompanyName>' . x($c['company']) . "</CompanyName>\n";
    if ($c['account_reference'] !== null) {
        echo '      <AccountReference>' . x($c['account_reference']) . "</AccountReference>\n";
    }
    echo $address('CustomerInvoiceAddress', $c);
    echo $address('CustomerDeliveryAddress', $c);
    echo "      <Currency>GBP</Currency>\n";
    echo "    </Customer>\n";
}
echo "  </Customers>\n";
echo "  <SalesOrders>\n";
$items = $db->prepare('SELECT * FROM order_items WHERE order_id = ? ORDER BY line');
$orders = $db->query('SELECT o.*, c.company, c.forename, c.surname, c.address1, c.town, c.postcode, c.email
    FROM orders o JOIN customers c ON c.id = o.customer_id WHERE o.posted = 0 ORDER BY o.id');
foreach ($orders as $o) {
    echo "    <SalesOrder>\n";
    echo '      <Id>' . x($o['id']) . "</Id>\n";
    echo '      <CustomerId>' . x($o['customer_id']) . "</CustomerId>\n";
    echo '      <SalesOrderDate>' . x($o['order_date']) . "</SalesOrderDate>\n";
    echo $address('SalesOrderAddress', $o);
    echo $address('SalesOrderDeliveryAddress', $o);
    echo "      <SalesOrderItems>\n";
    $items->execute([$o['id']]);
    foreach ($items->fetchAll() as $i) {
        echo "        <Item>\n";
        echo '          <Sku>' . x($i['sku']) . "</Sku>\n";
        echo '          <QtyOrdered>' . x($i['qty']) . "</QtyOrdered>\n";
        echo '          <UnitPrice>' . x($i['unit_price']) . "</UnitPrice>\n";
        echo "        </Item>\n";
    }
    echo "      </SalesOrderItems>\n";
    echo "      <TakenBy>Website</TakenBy>\n";
    echo "    </SalesOrder>\n";
}
echo "  </SalesOrders>\n";
echo "</Company>\n";
