#!/usr/bin/env bash
# Run galaxy-importer (what Galaxy and Automation Hub run on an upload) on a built tarball.
#
#   tests/gates/galaxy_importer.sh TARBALL [--require-v1] [--no-lint]
#
# Always on: check_required_tags (galaxy.yml tags must include one of Automation Hub's required
# tags), ansible-doc of every plugin, flake8 and the changelog check. --require-v1 adds the
# "version must be 1.0.0 or greater" rule of certification (require_v1_or_greater). --no-lint
# leaves ansible-lint out (the build gate does: `make lint` runs it, production profile, and
# it is the slow part). ansible-test is not run by the importer here (it wants a container);
# `make sanity` / `make certify` run it. Exit status: the importer's (non-zero on a refusal).
set -euo pipefail
tarball="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
shift
require_v1=False
lint=True
for arg in "$@"; do
    case "$arg" in
        --require-v1) require_v1=True ;;
        --no-lint) lint=False ;;
        *) echo "galaxy_importer.sh: unknown option $arg" >&2; exit 2 ;;
    esac
done
if ! python -c 'import galaxy_importer' 2>/dev/null; then
    echo "galaxy_importer.sh: galaxy-importer not installed (make venv)" >&2
    exit 1
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/netsec-importer.XXXXXX")"
trap 'rm -rf "$work"' EXIT
cat >"$work/galaxy-importer.cfg" <<EOF
[galaxy-importer]
check_required_tags = True
require_v1_or_greater = $require_v1
check_changelog = True
run_ansible_doc = True
run_flake8 = True
run_ansible_lint = $lint
offline_ansible_lint = True
run_ansible_test = False
tmp_root_dir = $work
EOF
cd "$work"
start=$(date +%s)
set +e
GALAXY_IMPORTER_CONFIG="$work/galaxy-importer.cfg" python -m galaxy_importer.main "$tarball" >"$work/importer.log" 2>&1
rc=$?
set -e
# The per-file "Loading ..."/"Linting ..." lines are noise; findings and the verdict are kept.
grep -v -E '^(Loading|Linting) |^$' "$work/importer.log" | sed 's/^/galaxy-importer: /'
if [ "$rc" -ne 0 ] || ! grep -q 'Importer processing completed successfully' "$work/importer.log"; then
    echo "galaxy-importer: FAILED on $(basename "$tarball") (require_v1_or_greater=$require_v1)" >&2
    exit 1
fi
echo "galaxy-importer: passed on $(basename "$tarball") in $(($(date +%s) - start))s" \
    "(required tags, require_v1_or_greater=$require_v1, ansible-lint=$lint)"
