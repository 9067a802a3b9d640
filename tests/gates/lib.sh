# shellcheck shell=bash
# Helpers shared by the gate scripts in tests/gates/. Source it; do not run it.

# Repository root (= collection root).
GATES_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export GATES_ROOT

# Read a top-level scalar (namespace, name, version) from galaxy.yml.
galaxy_field() {
    sed -n "s/^$1:[[:space:]]*\\([^#[:space:]]*\\).*/\\1/p" "$GATES_ROOT/galaxy.yml" | head -n 1
}

# stage_collection DEST: copy the collection's files into DEST/ansible_collections/NS/NAME
# and print that directory. "The collection's files" are what git would commit: tracked files
# plus untracked files that are not ignored, so uncommitted work is checked too while venvs,
# caches and outputs are not.
stage_collection() {
    local dest ns name target
    dest="$1"
    ns="$(galaxy_field namespace)"
    name="$(galaxy_field name)"
    target="$dest/ansible_collections/$ns/$name"
    mkdir -p "$target"
    (
        cd "$GATES_ROOT" || exit 1
        git ls-files -z --cached --others --exclude-standard \
            | while IFS= read -r -d '' f; do
                # tracked files deleted in the work tree are gone, not "to copy"
                if [ -e "$f" ] || [ -L "$f" ]; then printf '%s\0' "$f"; fi
            done \
            | tar --null --no-recursion -T - -cf - \
            | tar -xf - -C "$target"
    )
    printf '%s\n' "$target"
}

# elapsed SECONDS_SINCE_EPOCH: human-readable time since then.
elapsed() {
    local s=$(( $(date +%s) - $1 ))
    printf '%dm%02ds' $((s / 60)) $((s % 60))
}
