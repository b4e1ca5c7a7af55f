#!/usr/bin/env bash
# From a fresh Debian machine to Caravan checking the getting-started jobs:
# installs the build dependencies, builds, then validates each example and
# shows the JSON the CLI would submit for one of them.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
[ -x configure ] || ./autogen.sh
[ -f Makefile ] || ./configure
make -j"$(nproc)"
for f in examples/getting-started/*.nomad.hcl; do
    echo "==> caravan job validate $f"
    ./caravan job validate "$f"
done
echo "==> caravan job run -output examples/getting-started/pytechco-web.nomad.hcl"
./caravan job run -output examples/getting-started/pytechco-web.nomad.hcl
