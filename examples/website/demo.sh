#!/usr/bin/env bash
# `make demo-website`: seed workflow 5 (examples/website-to-sage.yaml) against the sample shop's
# website scripts on PHP's built-in web server. Seeds a SQLite shop (200 customers, 500 orders,
# 5 of them bad, 450 products without stock levels) and a Sage company holding the products,
# shows the shop before, runs the workflow with the `wharf` binary, and shows the shop after:
# orders posted with their Sage numbers, stock levels from Sage.
set -euo pipefail
cd "$(dirname "$0")/../.."

WHARF=${WHARF:-target/debug/wharf}
DEMO=$PWD/target/demo-website
export SHOP_DB=$DEMO/shop.sqlite SHOP_PASSWORD=wharf-demo-password
export SHOP_HTTP_PASSWORD=$SHOP_PASSWORD

bash examples/website/install-php.sh
rm -rf "$DEMO"
mkdir -p "$DEMO/data"
php examples/website/seed.php "$SHOP_DB" "$DEMO/sage-products.xml"

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
php -S 127.0.0.1:"$PORT" -t examples/website 2>"$DEMO/php.log" &
PHP=$!
trap 'kill $PHP 2>/dev/null || true' EXIT
for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/"$PORT") 2>/dev/null && break; sleep 0.05; done

# The connection, defined outside the workflow; the password comes from the environment.
cat > "$DEMO/connections.yaml" <<CONF
http:
  shop:
    base-url: http://127.0.0.1:$PORT/
    auth: { basic: { username: zynk, password: { env: SHOP_HTTP_PASSWORD } } }
CONF

export WHARF_DATA=$DEMO/data WHARF_CONNECTIONS=$DEMO/connections.yaml
"$WHARF" sage create-company --name "Sample Shop Ltd"
"$WHARF" sage load "$DEMO/sage-products.xml"
"$WHARF" validate examples/website-to-sage.yaml

shop() {
  php -r '$d = new PDO("sqlite:" . getenv("SHOP_DB"));
    $q = fn ($sql) => $d->query($sql)->fetchColumn();
    $waiting = $q("SELECT count(*) FROM orders WHERE posted = 0");
    printf("  orders posted to Sage: %d of %d%s\n", $q("SELECT count(*) FROM orders WHERE posted = 1"),
      $q("SELECT count(*) FROM orders"),
      $waiting > 0 && $waiting <= 10 ? " (not posted: " . $q("SELECT group_concat(id, \", \") FROM orders WHERE posted = 0") . ")" : "");
    printf("  customers with a Sage account: %d\n", $q("SELECT count(*) FROM customers WHERE account_reference <> \"\""));
    printf("  products with stock: %d of %d (SKU0001: %s)\n", $q("SELECT count(*) FROM products WHERE stock > 0"),
      $q("SELECT count(*) FROM products"), $q("SELECT stock FROM products WHERE sku = \"SKU0001\""));
    foreach ($d->query("SELECT id, sage_order_number FROM orders WHERE posted = 1 ORDER BY id LIMIT 3") as $r)
      printf("  order %d is Sage order %s\n", $r[0], $r[1]);'
}

echo; echo "== The shop before"; shop
echo; echo "== Run 1"; "$WHARF" run examples/website-to-sage.yaml
echo; echo "== The shop after"; shop
echo; echo "== Run 2 (nothing new: the 5 bad orders are refused again)"
"$WHARF" run examples/website-to-sage.yaml | grep -E 'Import|Success:|Fail'
