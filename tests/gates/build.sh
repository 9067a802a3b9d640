#!/usr/bin/env bash
# Gate: build the collection tarball, install it into an empty collections path, and check
# that `ansible-doc` renders every module, every other documented plugin and every role
# from the installed copy.
#
# The tarball is built from the collection's files as git sees them (tracked plus untracked
# but not ignored), i.e. what a fresh clone holds once the work is committed; galaxy.yml's
# build_ignore then drops the development-only files. Set BUILD_KEEP=1 to keep the temporary
# directory (tarball included).
set -euo pipefail
# shellcheck source=tests/gates/lib.sh
. "$(dirname "$0")/lib.sh"

start=$(date +%s)
ns="$(galaxy_field namespace)"
name="$(galaxy_field name)"
version="$(galaxy_field version)"
fqcn="$ns.$name"

work="$(mktemp -d "${TMPDIR:-/tmp}/netsec-build.XXXXXX")"
if [ "${BUILD_KEEP:-0}" = 1 ]; then
    echo "build: keeping $work"
else
    trap 'rm -rf "$work"' EXIT
fi
src="$(stage_collection "$work/src")"
mkdir -p "$work/dist" "$work/collections"

# Run everything from $work so that the repository's ansible.cfg (which points at the working
# tree) is not picked up: only the installed copy may answer.
cd "$work"
export ANSIBLE_COLLECTIONS_PATH="$work/collections"
export ANSIBLE_NOCOLOR=1

ansible-galaxy collection build --output-path "$work/dist" "$src"
tarball="$work/dist/$ns-$name-$version.tar.gz"
[ -f "$tarball" ] || { echo "build: expected $tarball" >&2; exit 1; }

fail=0
junk_re='(^|/)(\.venv|\.cache|\.ansible|\.ci|\.git|__pycache__|\.pytest_cache|\.hypothesis|tests/output|bench-results|drift-report|audit-report)(/|$)|\.pyc$|\.tar\.gz$'
if tar -tzf "$tarball" | grep -E "$junk_re"; then
    echo "build: FAILED: the tarball contains development files (listed above); extend build_ignore" >&2
    fail=1
fi
echo "build: $(tar -tzf "$tarball" | grep -cv '/$') files in $(basename "$tarball") ($(du -h "$tarball" | cut -f1))"

ansible-galaxy collection install --offline -p "$work/collections" "$tarball"
installed="$work/collections/ansible_collections/$ns/$name"
ansible-galaxy collection verify --offline -p "$work/collections" "$fqcn"
echo

# check_docs TYPE NAME...: ansible-doc must render each, without warnings or errors.
check_docs() {
    local type="$1" plugin out
    shift
    for plugin in "$@"; do
        if ! out="$(ansible-doc -t "$type" "$fqcn.$plugin" 2>&1 >/dev/null)"; then
            echo "build: FAILED: ansible-doc -t $type $fqcn.$plugin:" >&2
            printf '%s\n' "$out" >&2
            fail=1
        elif grep -E '\[(WARNING|ERROR)\]' <<<"$out" >/dev/null; then
            echo "build: FAILED: ansible-doc -t $type $fqcn.$plugin warned:" >&2
            printf '%s\n' "$out" >&2
            fail=1
        else
            echo "build: ansible-doc -t $type $fqcn.$plugin: ok"
        fi
    done
}

# listed TYPE: the names `ansible-doc --list` knows for this collection.
listed() {
    ansible-doc -t "$1" --list --json "$fqcn" | python -c '
import json, sys
print("\n".join(sorted(name.rsplit(".", 1)[1] for name in json.load(sys.stdin))))'
}

checked=0
# Every plugin directory that holds documented plugins (not module_utils, doc_fragments, action).
for dir in "$installed"/plugins/*/; do
    [ -d "$dir" ] || continue
    kind="$(basename "$dir")"
    case "$kind" in
        module_utils | doc_fragments | action | plugin_utils) continue ;;
        modules) type=module ;;
        *) type="$kind" ;;
    esac
    mapfile -t files < <(find "$dir" -maxdepth 1 -type f \( -name '*.py' -o -name '*.yml' -o -name '*.yaml' \) \
        ! -name '__init__.py' -printf '%f\n' | sed -E 's/\.(py|ya?ml)$//' | sort -u)
    [ "${#files[@]}" -gt 0 ] || continue
    mapfile -t names < <(listed "$type")
    missing="$(comm -23 <(printf '%s\n' "${files[@]}") <(printf '%s\n' "${names[@]}"))"
    if [ -n "$missing" ]; then
        echo "build: FAILED: ansible-doc --list -t $type does not show: $missing" >&2
        fail=1
    fi
    check_docs "$type" "${files[@]}"
    checked=$((checked + ${#files[@]}))
done

if [ -d "$installed/roles" ]; then
    mapfile -t roles < <(find "$installed/roles" -mindepth 1 -maxdepth 1 -type d -printf '%f\n' | sort)
    for role in "${roles[@]}"; do
        if [ ! -f "$installed/roles/$role/meta/argument_specs.yml" ]; then
            echo "build: FAILED: role $role has no meta/argument_specs.yml (ansible-doc -t role needs it)" >&2
            fail=1
        fi
    done
    [ "${#roles[@]}" -eq 0 ] || check_docs role "${roles[@]}"
    checked=$((checked + ${#roles[@]}))
fi

if [ "$fail" -ne 0 ]; then
    echo "build: FAILED after $(elapsed "$start")" >&2
    exit 1
fi
echo "build: passed in $(elapsed "$start"): built, installed, verified; ansible-doc rendered $checked plugin(s)/role(s)"
