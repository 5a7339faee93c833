#!/usr/bin/env bash
# Mutation check (cargo-mutants, configured in .cargo/mutants.toml): every
# mutant of the card rules (src/domain) and of the dialects' code tables
# must be caught by a test, or be listed there as equivalent with a reason.
#
#   scripts/mutants.sh                 every mutant (hours on a 2-core machine)
#   scripts/mutants.sh --shard 3/8     one of 8 deterministic shards
#   scripts/mutants.sh --ci            the sample CI runs (.ci/run), named in
#                                      .cargo/mutants-ci.txt
#   scripts/mutants.sh --list          list the mutants, run nothing
#   scripts/mutants.sh --file src/domain/billing.rs   one file (repeatable)
#   scripts/mutants.sh ... -- --baseline skip --timeout 120
#                                      anything after -- goes to cargo mutants
#
# Exit status: 0 when every mutant tested was caught (or timed out: a hang
# is a failure a test run would see), non-zero when one survived ("missed")
# or the unmutated tree fails its tests. Results: mutants.out/ (caught.txt,
# missed.txt, timeout.txt, unviable.txt, outcomes.json).
#
# cargo-mutants copies the tree to a temporary directory and builds there;
# CARGO_TARGET_DIR (default: this tree's target/) is kept so the
# dependencies already built are reused. One job at a time, niced: the
# build is the expensive part and other work shares the machine.
set -euo pipefail
cd "$(dirname "$0")/.."

# The profile settings (CARGO_PROFILE_DEV_*) are inherited, never changed
# here: a different debug level would rebuild every dependency.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"

# CI's sample: the mutants named in .cargo/mutants-ci.txt (8, sized so that
# installing cargo-mutants and testing them fit CI's 10-minute budget on 2
# cores; docs/testing.md has the measurements). Named, not a shard: a shard
# of the whole list would change whenever code is added anywhere.
CI_LIST=.cargo/mutants-ci.txt

# `file: description` → an anchored regex over the mutant's full name.
ci_regexes() {
    local line file desc
    while IFS= read -r line; do
        case "$line" in ''|'#'*) continue ;; esac
        file="${line%%: *}"
        desc="${line#*: }"
        printf '^%s:[0-9]+:[0-9]+: %s$\n' "$(re_escape "$file")" "$(re_escape "$desc")"
    done < "$CI_LIST"
}
re_escape() { printf '%s' "$1" | sed 's/[][\\.*+?(){}|^$]/\\&/g'; }

if ! command -v cargo-mutants >/dev/null; then
    echo "cargo-mutants is not installed: cargo install cargo-mutants --locked" >&2
    exit 69
fi

args=(--jobs 1 --no-shuffle)
mode=run
while [ $# -gt 0 ]; do
    case "$1" in
        --shard) args+=(--shard "$2" --sharding round-robin); shift 2 ;;
        --ci)
            # `cargo test` has just passed in CI: no baseline run, a fixed
            # timeout instead of one measured from it.
            mapfile -t ci_res < <(ci_regexes)
            for re in "${ci_res[@]}"; do
                if ! cargo mutants --list --re "$re" 2>/dev/null | grep -q .; then
                    echo "mutants: $CI_LIST names a mutant that no longer exists: $re" >&2
                    exit 65
                fi
                args+=(--re "$re")
            done
            args+=(--baseline skip --timeout 120 --build-timeout 900)
            shift ;;
        # cargo-mutants' own --file adds to the configuration's files; this
        # narrows to one file by the mutants' names (`path:line:col: ...`).
        --file) args+=(--re "^${2//./\\.}:"); shift 2 ;;
        --list) mode=list; shift ;;
        --) shift; args+=("$@"); break ;;
        *) echo "unknown option $1 (see the top of $0)" >&2; exit 64 ;;
    esac
done

if [ "$mode" = list ]; then
    exec cargo mutants --list "${args[@]}"
fi

status=0
nice -n 10 cargo mutants "${args[@]}" || status=$?
# cargo-mutants: 0 all caught, 2 some missed, 3 some timed out (none
# missed), 4 the unmutated tree fails. A timeout is a mutant that hangs
# the tests: caught.
case "$status" in
    0) echo "mutants: every mutant caught" ;;
    3) echo "mutants: every mutant caught (some by the timeout: mutants.out/timeout.txt)"; status=0 ;;
    2) echo "mutants: SURVIVORS (mutants.out/missed.txt):" >&2; cat mutants.out/missed.txt >&2 ;;
    *) echo "mutants: cargo mutants failed with status $status" >&2 ;;
esac
exit "$status"
