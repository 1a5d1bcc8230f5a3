#!/usr/bin/env bash
# Catch the runaway module: fail (exit 1) listing every .py file under schemas/ config/ streams/ agents/
# longer than 500 lines. Nothing below that is flagged: size is a hint, and a module is split where its
# reasons to change part, never to pass a line count. Passes on an empty or missing tree.
#   usage: infra/check-module-size.sh [repo root]   (default: the repository this script lives in)
set -euo pipefail

ROOT="${1:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
FAIL_OVER=500

dirs=()
for d in schemas config streams agents; do
    [[ -d "$ROOT/$d" ]] && dirs+=("$ROOT/$d")
done
((${#dirs[@]})) || exit 0

failed=0
while IFS= read -r -d '' file; do
    lines=$(wc -l <"$file")
    rel="${file#"$ROOT"/}"
    if ((lines > FAIL_OVER)); then
        echo "module-size: FAIL $rel has $lines lines (limit $FAIL_OVER): split it by concern" >&2
        failed=1
    fi
done < <(find "${dirs[@]}" -name '*.py' -type f -not -path '*/__pycache__/*' -print0 | sort -z)

exit "$failed"
