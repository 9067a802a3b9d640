#!/usr/bin/env bash
# Build the netsec.openstack docs site offline (`make docs`): antsibull-docs generates the
# module, role and filter pages from the collection (the working tree, through
# .cache/collections), the Markdown guides of docs/ (and ARCHITECTURE.md) are added as they are
# (myst-parser), and Sphinx builds HTML with warnings as errors.
#
# The committed sources (conf.py, antsibull-docs.cfg, rst/index.rst) are copied to DOCS_DIR
# (default .cache/docs) and built there, so the repository stays clean. The site is
# DOCS_DIR/build/html/index.html. Needs `make venv` (antsibull-docs, sphinx,
# sphinx-ansible-theme, myst-parser from tests/requirements.txt).
set -euo pipefail
site="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$site/../.." && pwd)"
out="${DOCS_DIR:-$root/.cache/docs}"
export ANSIBLE_COLLECTIONS_PATH="${ANSIBLE_COLLECTIONS_PATH:-$root/.cache/collections}"
export ANSIBLE_NOCOLOR=1

rm -rf "$out"
mkdir -p "$out"
cp "$site/conf.py" "$site/antsibull-docs.cfg" "$out/"
cp -r "$site/rst" "$out/rst"
chmod og-w "$out/rst" # antsibull-docs wants that directory only writable by itself

# The guides: every Markdown file of docs/, plus the architecture overview; images alongside.
mkdir -p "$out/rst/guides"
cp "$root"/docs/*.md "$out/rst/guides/"
[ ! -f "$root/ARCHITECTURE.md" ] || cp "$root/ARCHITECTURE.md" "$out/rst/guides/architecture.md"
[ ! -d "$root/docs/images" ] || cp -r "$root/docs/images" "$out/rst/guides/images"

cd "$out"
# The Ansible docs' labels for intersphinx, from ansible-inventory.txt (no network needed).
python - "$site/ansible-inventory.txt" ansible_devel.inv <<'PYTHON'
import sys
import zlib

lines = []
with open(sys.argv[1]) as handle:
    for line in handle:
        if line.strip() and not line.startswith("#"):
            name, uri, title = line.split(None, 2)
            lines.append("%s std:label -1 %s %s" % (name, uri, title.strip()))
header = "# Sphinx inventory version 2\n# Project: Ansible\n# Version: devel\n"
header += "# The remainder of this file is compressed using zlib.\n"
with open(sys.argv[2], "wb") as handle:
    handle.write(header.encode() + zlib.compress(("\n".join(lines) + "\n").encode()))
PYTHON
antsibull-docs --config-file antsibull-docs.cfg collection --cleanup everything --fail-on-error \
    --use-current --dest-dir rst netsec.openstack
sphinx-build -M html rst build -c . -W --keep-going -q
echo "docs: $(find build/html -name '*.html' | wc -l) HTML pages in $out/build/html"
