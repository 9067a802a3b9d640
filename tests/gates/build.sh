#!/usr/bin/env bash
# Gate: build the collection tarball, check what it carries (everything users need, nothing of a
# developer's machine: developer files are planted into the staged copy to test build_ignore),
# install it into an empty collections path, check that `ansible-doc` renders every module,
# every other documented plugin and every role from the installed copy, and run galaxy-importer
# on it (tests/gates/galaxy_importer.sh).
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

# What a developer's checkout holds besides the committed files: venvs, caches, test output,
# local cloud data, reports, builds. Planted into the staged copy so that galaxy.yml's
# build_ignore is tested against them (a user who runs `ansible-galaxy collection build` in a
# used checkout gets them all); none may reach the tarball.
planted=(
    .venv/bin/python .cache/matrix/2.16/pyvenv.cfg .cache/collections/ansible_collections/x
    .cache/docs/build/html/index.html .ansible/tmp/x .pytest_cache/v/x .hypothesis/examples/x
    .mypy_cache/x .ruff_cache/x .tox/x .idea/x .vscode/settings.json
    tests/output/sanity/x.json tests/output/matrix/table.txt tests/cloud/x.sqlite
    plugins/modules/__pycache__/x.cpython-311.pyc plugins/module_utils/x.pyc
    bench-results/run.json bench/results/x.json drift-report/drift.json audit-report/audit.json
    docs/execution-environment/context/Containerfile importer_result.json build/x dist/x
    netsec-openstack-0.0.1.tar.gz nohup.out x.log .DS_Store plugins/modules/.x.py.swp
)
for path in "${planted[@]}"; do
    mkdir -p "$src/$(dirname "$path")"
    echo planted >"$src/$path"
done

# Run everything from $work so that the repository's ansible.cfg (which points at the working
# tree) is not picked up: only the installed copy may answer.
cd "$work"
export ANSIBLE_COLLECTIONS_PATH="$work/collections"
export ANSIBLE_NOCOLOR=1

ansible-galaxy collection build --output-path "$work/dist" "$src"
tarball="$work/dist/$ns-$name-$version.tar.gz"
[ -f "$tarball" ] || { echo "build: expected $tarball" >&2; exit 1; }

fail=0
tar -tzf "$tarball" | sed 's|^\./||' | grep -v '/$' | sort >"$work/contents.txt"
# Nothing of a developer's machine or of the development tooling: no planted file, nothing
# under a development-only directory.
junk_re='(^|/)(\.venv|\.cache|\.ansible|\.ci|\.git|__pycache__|\.pytest_cache|\.hypothesis|\.mypy_cache|\.ruff_cache|\.tox|\.idea|\.vscode|tests/output|tests/cloud|tests/gates|tests/unit|tests/integration|bench|bench-results|drift-report|audit-report|docs/site|context|build|dist|changelogs/fragments)(/|$)|\.(pyc|tar\.gz|log|swp)$|(^|/)(importer_result\.json|nohup\.out|\.DS_Store|Makefile)$'
if grep -E "$junk_re" "$work/contents.txt"; then
    echo "build: FAILED: the tarball contains development files (listed above); extend build_ignore in galaxy.yml" >&2
    fail=1
fi
planted_found="$(printf '%s\n' "${planted[@]}" | sort | comm -12 - "$work/contents.txt")"
if [ -n "$planted_found" ]; then
    echo "build: FAILED: build_ignore lets these developer files into the tarball: $planted_found" >&2
    fail=1
fi
# Everything users need: every committed file of the user-facing parts.
mapfile -t needed < <(cd "$src" && git -C "$GATES_ROOT" ls-files --cached --others --exclude-standard -- \
    plugins roles playbooks schemas meta docs/'*.md' docs/images docs/execution-environment \
    README.md COPYING requirements.txt bindep.txt changelogs/changelog.yaml changelogs/config.yaml CHANGELOG.rst \
    ARCHITECTURE.md tests/config.yml | grep -v -E "$junk_re" \
    | while IFS= read -r f; do [ ! -e "$GATES_ROOT/$f" ] || echo "$f"; done | sort)
missing="$(printf '%s\n' "${needed[@]}" | comm -23 - "$work/contents.txt")"
if [ -n "$missing" ]; then
    echo "build: FAILED: the tarball lacks files users need: $missing" >&2
    fail=1
fi
echo "build: $(wc -l <"$work/contents.txt") files in $(basename "$tarball") ($(du -h "$tarball" | cut -f1));" \
    "checked against ${#planted[@]} planted developer files and ${#needed[@]} user-facing files"

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

# What Galaxy / Automation Hub run on an upload, on this very tarball. The certification rule
# "version 1.0.0 or greater" applies from 1.0.0 on (before that it would refuse every build);
# `make certify` always applies it. ansible-lint is `make lint`'s job.
importer_args=(--no-lint)
# (semantic_version, as the importer compares: 1.0.0-rc1 is below 1.0.0)
if python -c 'import sys, semantic_version as sv; sys.exit(sv.Version(sys.argv[1]) < sv.Version("1.0.0"))' "$version"; then
    importer_args+=(--require-v1)
fi
"$GATES_ROOT/tests/gates/galaxy_importer.sh" "$tarball" "${importer_args[@]}" || fail=1

if [ "$fail" -ne 0 ]; then
    echo "build: FAILED after $(elapsed "$start")" >&2
    exit 1
fi
echo "build: passed in $(elapsed "$start"): built, installed, verified; ansible-doc rendered $checked plugin(s)/role(s)"
