#!/usr/bin/env bash
# The wheel as a board installs it: built from the tree, installed with the constraints in
# a fresh virtual environment, and run from a folder outside the source tree (so nothing
# is imported from the checkout). Run by .ci/run and `make wheel`.
set -euo pipefail
cd "$(dirname "$0")/.."
work="$(mktemp -d "${TMPDIR:-/tmp}/onsis-wheel.XXXXXX")"
trap 'rm -rf "$work"' EXIT
.venv/bin/pip wheel -q --no-deps -w "$work/dist" .
python3 -m venv "$work/venv"
"$work/venv/bin/pip" install -q -c constraints.txt "$work"/dist/onsis_batch-*.whl
cd "$work"
installed="$("$work/venv/bin/python" -c 'import onsis_batch; print(onsis_batch.__file__)')"
case "$installed" in
    "$work/venv/"*) ;;
    *) echo "wheel check: onsis_batch imported from $installed, not the fresh environment" >&2; exit 1 ;;
esac
"$work/venv/bin/onsis-batch" generate --sample --period oct --out "$work/out"
"$work/venv/bin/python" -m onsis_batch validate "$work"/out/ONSIS_*.xml
"$work/venv/bin/python" - "$work"/dist/onsis_batch-*.whl <<'PY'
import sys, zipfile
names = zipfile.ZipFile(sys.argv[1]).namelist()
wanted = ["licenses/LICENSE", "onsis_batch/cli/output.schema.json", "_data/sample_data/"]
missing = [w for w in wanted if not any(w in name for name in names)]
sys.exit(f"wheel check: missing from the wheel: {missing}" if missing else 0)
PY
echo "wheel check: $(basename "$work"/dist/onsis_batch-*.whl) installs and runs from $work"
