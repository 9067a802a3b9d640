#!/usr/bin/env bash
# The oldest supported openstacksdk: run the core integration tests with it.
#
# Makes .cache/venv-sdk-<version> (tests/requirements.txt with openstacksdk pinned to
# the oldest version requirements.txt admits) and runs the security group and
# attachment tests through it, modules included (their interpreter is that venv's).
# Needs the local cloud (make cloud) and `make venv` (the openstack CLI the tests use as an
# independent client comes from .venv). Not part of `make test`: about 8-10 minutes.
set -euo pipefail
cd "$(dirname "$0")/../.."
version="$(sed -n 's/^openstacksdk>=\([0-9.]*\).*/\1/p' requirements.txt)"
[ -n "$version" ] || { echo "compat: no 'openstacksdk>=X' line in requirements.txt" >&2; exit 1; }
venv=".cache/venv-sdk-$version"
if [ ! -x "$venv/bin/python" ] || [ ! -f "$venv/.installed" ]; then
    python3 -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --upgrade pip
    grep -v -E '^(openstacksdk|python-openstackclient)' tests/requirements.txt > "$venv/requirements.txt"
    "$venv/bin/python" -m pip install --quiet -r "$venv/requirements.txt" "openstacksdk==$version.0"
    touch "$venv/.installed"
fi
"$venv/bin/python" -c 'import openstack.version as v; print("compat: openstacksdk", v.__version__)'
eval "$(tests/cloud/localcloud env)"
export PATH="$PWD/.venv/bin:$PATH"
exec "$venv/bin/python" -m pytest -q -p no:cacheprovider tests/integration/test_security_groups.py \
    tests/integration/test_attachments.py "$@"
