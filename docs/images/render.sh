#!/usr/bin/env bash
# Regenerate docs/images/example-access.{dot,mmd,svg}: the picture of
# playbooks/declarations/example.yml (with five illustrative servers) drawn by the
# netsec.openstack.security_groups_graph filter, rendered to SVG with Graphviz
# (Debian: apt-get install graphviz). Needs `make venv` first.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
command -v dot >/dev/null || { echo "render.sh: Graphviz 'dot' not found (apt-get install graphviz)" >&2; exit 1; }
PYTHONPATH="$root/.cache/collections" .venv/bin/python - <<'PYTHON'
import yaml

from ansible_collections.netsec.openstack.plugins.filter.security_groups_graph import security_groups_graph

with open("playbooks/declarations/example.yml") as handle:
    example = yaml.safe_load(handle)
example["servers"] = [
    {"server": "web-1", "security_groups": ["web"]},
    {"server": "web-2", "security_groups": ["web"]},
    {"server": "app-1", "security_groups": ["app"]},
    {"server": "db-1", "security_groups": ["db"]},
    {"server": "jump", "security_groups": ["bastion"]},
]
title = "playbooks/declarations/example.yml"
for extension, output_format in ((".dot", "dot"), (".mmd", "mermaid")):
    with open("docs/images/example-access" + extension, "w") as handle:
        handle.write(security_groups_graph(example, format=output_format, title=title))
PYTHON
dot -Tsvg docs/images/example-access.dot -o docs/images/example-access.svg
echo "render.sh: wrote docs/images/example-access.{dot,mmd,svg}"
