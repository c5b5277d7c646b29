#!/usr/bin/env bash
# `make demo`: seed integration 2 (examples/magento-to-sage.yaml) against the fake Magento 2
# shop on 127.0.0.1 and an embedded Sage 50 company holding the shop's products with stock and
# some of its customers; then the orders now in Sage, the shop's order statuses and the stock
# levels pushed back, side by side. Needs the built host and components (make build).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
wharf="$repo/target/debug/wharf"
shop_bin="$repo/target/debug/wharf-fake-shop"
demo="$repo/target/demo-data"
rm -rf "$demo"
mkdir -p "$demo"

# The shop's admin password reaches the fake and Wharf through the environment only.
export FAKE_SHOP_PASSWORD="demo-$RANDOM-$RANDOM"
export MAGENTO_PASSWORD="$FAKE_SHOP_PASSWORD"

"$shop_bin" --listen 127.0.0.1:0 --url-file "$demo/shop-url" magento \
  --orders 40 --malformed 2 --customers 15 --products 12 --admin-user wharf \
  --sage-company "$demo/sage-company.xml" --sage-customers 5 >/dev/null 2>"$demo/shop.log" &
shop_pid=$!
trap 'kill "$shop_pid" 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  [ -s "$demo/shop-url" ] && break
  sleep 0.05
done
[ -s "$demo/shop-url" ] || { cat "$demo/shop.log"; exit 1; }
base="$(cat "$demo/shop-url")"
root="${base%rest/default/}"
echo "Fake Magento 2 shop at $root (40 orders, 2 of them malformed; 12 products)"

cat > "$demo/connections.yaml" <<YAML
http:
  magento:
    base-url: $root
    auth: { magento-admin: { username: wharf, password: { env: MAGENTO_PASSWORD } } }
YAML
export WHARF_DATA="$demo" WHARF_CONNECTIONS="$demo/connections.yaml" WHARF_SAGE_LEDGER="$demo/sage-ledger.sqlite"
"$wharf" sage create-company >/dev/null
"$wharf" sage load "$demo/sage-company.xml" >/dev/null
echo "Sage company created with the shop's products in stock and 5 of its customers"
echo

"$wharf" validate "$repo/examples/magento-to-sage.yaml"
"$wharf" run "$repo/examples/magento-to-sage.yaml"
echo

curl -fsS "${root}_fake/state" > "$demo/shop-state.json"
"$wharf" sage orders --limit 1000 --json > "$demo/sage-orders.json"
"$wharf" sage stock --limit 1000 --json > "$demo/sage-stock.json"
python3 - "$demo" <<'PY'
import json, sys, os
demo = sys.argv[1]
load = lambda name: json.load(open(os.path.join(demo, name)))
shop, orders, stock = load("shop-state.json"), load("sage-orders.json"), load("sage-stock.json")
by_web = {row["customer_order_number"]: row for row in orders["rows"]}
print(f"{'Magento order':<14}{'shop total':>11}  {'shop status':<13}{'Sage order':>10}  {'account':<10}{'Sage gross':>10}")
for increment, order in sorted(shop["orders"].items()):
    row = by_web.get(increment)
    number = str(row["order_number"]) if row else "-"
    account = row["account_ref"] if row else "(refused: see zynk_orders_fail_*.xml)"
    gross = f"{row['total_gross']:.2f}" if row else ""
    print(f"{increment:<14}{order['grand_total']:>11.2f}  {order['status']:<13}{number:>10}  {account:<10}{gross:>10}")
print()
print(f"{'SKU':<10}{'Sage in stock':>14}{'allocated':>11}{'free':>7}{'shop (MSI)':>12}")
for row in stock["rows"]:
    sku = row["stock_code"]
    in_stock, allocated = float(row["qty_in_stock"]), float(row["qty_allocated"])
    shop_qty = shop["stock"].get(sku, {}).get("source_quantity")
    print(f"{sku:<10}{in_stock:>14g}{allocated:>11g}{max(in_stock - allocated, 0):>7g}{shop_qty:>12g}")
PY
