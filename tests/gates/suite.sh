#!/usr/bin/env bash
# Print the pytest node ids of a named integration suite (tests/integration/suites.txt), one a
# line. Fails when the suite is unknown or names a test file that does not exist, so that a
# renamed file cannot silently shrink a gate (pytest itself fails on a renamed test function).
#   pytest $(tests/gates/suite.sh core)
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
suite="${1:?usage: suite.sh SUITE (a name in tests/integration/suites.txt)}"
ids="$(awk -v s="$suite" '$1 == s { print $2 }' "$root/tests/integration/suites.txt")"
[ -n "$ids" ] || { echo "suite.sh: no suite '$suite' in tests/integration/suites.txt" >&2; exit 1; }
while IFS= read -r id; do
    [ -f "$root/${id%%::*}" ] || { echo "suite.sh: suite '$suite' names a missing file: ${id%%::*}" >&2; exit 1; }
done <<<"$ids"
printf '%s\n' "$ids"
