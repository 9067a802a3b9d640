#!/usr/bin/env bash
# `make certify`: what partner certification (Automation Hub) measures, on this checkout.
#
#   1. galaxy-importer on the built tarball with required tags, ansible-lint and the
#      "version 1.0.0 or greater" rule (tests/gates/galaxy_importer.sh --require-v1);
#   2. antsibull-docs lint-collection-docs --plugin-docs (strict collection references);
#   3. ansible-test sanity, no ignores, on each ansible-core 2.16..2.19 (tests/gates/matrix.sh).
#
# The version is galaxy.yml's, so this fails while it is below 1.0.0. CERTIFY_VERSION=1.0.0
# builds the tarball from a staged copy with that version instead (galaxy.yml is not touched):
# the way to check a release before bumping. CERTIFY_STEPS="importer docs-lint sanity" (default)
# selects steps; CERTIFY_SANITY_VERSIONS (default "2.16 2.17 2.18 2.19") the sanity versions.
set -euo pipefail
# shellcheck source=tests/gates/lib.sh
. "$(dirname "$0")/lib.sh"
cd "$GATES_ROOT"

read -r -a steps <<<"${CERTIFY_STEPS:-importer docs-lint sanity}"
start=$(date +%s)
work="$(mktemp -d "${TMPDIR:-/tmp}/netsec-certify.XXXXXX")"
trap 'rm -rf "$work"' EXIT
declare -A result=()

step_importer() {
    local src version
    src="$(stage_collection "$work/src")"
    version="${CERTIFY_VERSION:-$(galaxy_field version)}"
    if [ -n "${CERTIFY_VERSION:-}" ]; then
        sed -i -E "s/^version:.*/version: $CERTIFY_VERSION/" "$src/galaxy.yml"
        echo "certify: building as version $CERTIFY_VERSION (CERTIFY_VERSION; galaxy.yml says $(galaxy_field version))"
    fi
    (cd "$work" && ANSIBLE_COLLECTIONS_PATH="$work/none" ansible-galaxy collection build --output-path "$work/dist" "$src")
    tests/gates/galaxy_importer.sh "$work/dist/$(galaxy_field namespace)-$(galaxy_field name)-$version.tar.gz" --require-v1
}

step_docs_lint() {
    # The collection as installed (namespace/name directories), so references resolve strictly.
    local src
    src="$(stage_collection "$work/lint")"
    antsibull-docs lint-collection-docs --plugin-docs --validate-collection-refs=all --disallow-unknown-collection-refs \
        --check-extra-docs-refs "$src"
}

step_sanity() {
    local versions="${CERTIFY_SANITY_VERSIONS:-2.16 2.17 2.18 2.19}"
    MATRIX_VERSIONS="$versions" MATRIX_GATES=sanity tests/gates/matrix.sh
}

for step in "${steps[@]}"; do
    echo "certify: === $step"
    if "step_${step//-/_}"; then result[$step]=passed; else result[$step]=FAILED; fi
done

echo
failed=0
for step in "${steps[@]}"; do
    printf 'certify: %-10s %s\n' "$step" "${result[$step]}"
    [ "${result[$step]}" = passed ] || failed=1
done
if [ "$failed" -ne 0 ]; then
    echo "certify: FAILED after $(elapsed "$start")" >&2
    exit 1
fi
echo "certify: passed in $(elapsed "$start")"
