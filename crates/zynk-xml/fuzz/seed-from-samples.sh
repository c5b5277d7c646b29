#!/bin/sh
# Adds the Zynk sample documents of a checkout's sibling `shared/` folder (when there is one) to
# the working corpus `corpus/documents`, beside the committed seeds. Usage: ./seed-from-samples.sh
set -eu
cd "$(dirname "$0")"
mkdir -p corpus/documents
cp seeds/* corpus/documents/
samples=../../../../shared/fixtures/zynk-samples/zynk-xml
if [ -d "$samples" ]; then
    n=0
    for f in "$samples"/*.xml; do
        n=$((n + 1))
        cp "$f" "corpus/documents/sample-$n.xml"
    done
    echo "added $n sample documents from $samples"
fi
