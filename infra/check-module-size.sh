#!/usr/bin/env bash
# Keep modules small: fail (exit 1) listing every .py file under schemas/ config/ streams/ agents/ longer
# than 500 lines; warn (exit 0) about those longer than 300. Passes on an empty or missing tree.
#   usage: infra/check-module-size.sh [repo root]   (default: the repository this script lives in)
set -euo pipefail

ROOT="${1:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
WARN_OVER=300
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
        echo "module-size: FAIL $rel has $lines lines (limit $FAIL_OVER): split it" >&2
        failed=1
    elif ((lines > WARN_OVER)); then
        echo "module-size: warning: $rel has $lines lines (over $WARN_OVER)" >&2
    fi
done < <(find "${dirs[@]}" -name '*.py' -type f -not -path '*/__pycache__/*' -print0 | sort -z)

exit "$failed"
