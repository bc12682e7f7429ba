#!/usr/bin/env bash
# Builds examples/package the way a user's package depends on Flint: by URL and
# version, against a tagged temporary clone of this repository's tracked files.
# Then runs it and checks that `flint eval` reads the checkpoint it wrote and
# finds the accuracy the program computed itself.
#   usage: examples/package/check.sh [FLINT_BINARY]
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
flint="${1:-$root/.build/release/flint}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# The repository as a user's package manager sees it: committed files, tag 0.1.0.
mkdir "$tmp/flint"
(cd "$root" && git ls-files -z | xargs -0 cp --parents -t "$tmp/flint")
git -C "$tmp/flint" init -q
git -C "$tmp/flint" add -A
git -C "$tmp/flint" -c user.name=check -c user.email=check@localhost commit -q -m "flint for the example"
git -C "$tmp/flint" tag 0.1.0

cp -r "$root/examples/package" "$tmp/app"
sed -i "s|https://github.com/flint-ml/flint.git|file://$tmp/flint|" "$tmp/app/Package.swift"
swift build --package-path "$tmp/app" --scratch-path "$tmp/app/.build" > "$tmp/build.log" 2>&1 || { cat "$tmp/build.log"; exit 1; }

mkdir "$tmp/out"
swift run --skip-build --package-path "$tmp/app" --scratch-path "$tmp/app/.build" TinyClassifier "$tmp/out" | tee "$tmp/run.log"
own="$(sed -n 's/^test accuracy //p' "$tmp/run.log")"
"$flint" eval "$tmp/out/tiny.h5" --json | tail -n 1 > "$tmp/eval.json"
python3 - "$own" "$tmp/eval.json" <<'PY'
import json, sys
own = float(sys.argv[1])
evaluated = json.load(open(sys.argv[2]))["metrics"]["accuracy"]
assert abs(own - evaluated) < 1e-9, f"flint eval says {evaluated}, the program computed {own}"
assert own > 0.9, f"the example learned nothing: test accuracy {own}"
print(f"examples/package: built by version from a tagged clone; flint eval reads its checkpoint (accuracy {evaluated})")
PY
