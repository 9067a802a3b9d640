#!/usr/bin/env bash
# The peer's own venv: openstack.cloud 2.5 fails with openstacksdk 4.22 ("module 'openstack' has no
# attribute 'version'"), so it runs with openstacksdk 4.5. Galaxy is not reachable: the collection
# comes from PyPI's `ansible` package (12.x bundles openstack.cloud 2.5.0).
set -euo pipefail
PEER=${BENCH_PEER_VENV:-$HOME/.cache/bench-venv-peer}
PYTHON=${PYTHON:-python3}
if [ -f "$PEER/lib/python3.11/site-packages/ansible_collections/openstack/cloud/MANIFEST.json" ] \
    && "$PEER/bin/python" -c 'import openstack, ansible' 2>/dev/null; then
    exit 0
fi
"$PYTHON" -m venv "$PEER"
"$PEER/bin/python" -m pip install --quiet 'ansible-core==2.19.*' 'openstacksdk==4.5.0' 'ansible>=12,<13'
