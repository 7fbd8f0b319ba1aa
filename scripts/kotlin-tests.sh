#!/usr/bin/env bash
# Kotlin binding tests on the plain JVM (no Android SDK): builds the connect-ffi cdylib, generates the
# Kotlin bindings from it, compiles them with the JUnit suite in android/bindings-test/ using the
# Kotlin compiler from npm, and runs the suite against the real library and a real server on loopback.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
target_dir=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
kotlinc="$root/.tools/kotlinc"
out="$root/build/kotlin-tests"

[ -x "$kotlinc/bin/kotlinc" ] || { echo "kotlinc missing: run scripts/install-deps.sh" >&2; exit 1; }
# Two builds, not one: building the ffi together with the server would unify features and link
# uniffi into the server. The same two selections as scripts/test.sh, so these are no-ops there.
# `test-support` adds render_qr_frame, which the scan tests use to make camera frames.
cargo build --locked -p connect-server -p connect-cli
cargo build --locked -p connect-ffi --features test-support
rm -rf "$out" && mkdir -p "$out/src"
cargo run --locked -q -p connect-ffi --features test-support --bin uniffi-bindgen -- generate \
  --library "$target_dir/debug/libconnect_ffi.so" --language kotlin --no-format --out-dir "$out/src"

cp_libs="/usr/share/java/jna.jar:/usr/share/java/junit4.jar:/usr/share/java/hamcrest-core.jar"
cp_libs="$cp_libs:$kotlinc/lib/kotlinx-coroutines-core-jvm.jar:$kotlinc/lib/kotlin-test.jar:$kotlinc/lib/kotlin-test-junit.jar"
# The Android app's plain-Kotlin layer over the core (android/app/.../core/: the repository, the
# feature adapter; and the previews' fake core; no Android API) is compiled too, so a renamed export breaks here, not on a
# developer's machine with the SDK.
app_kt=android/app/src/main/java/org/communityconnect/app
mapfile -t sources < <( (find "$out/src" android/bindings-test/src "$app_kt/core" -name '*.kt';
  echo "$app_kt/ui/preview/FakeCore.kt") | sort)
echo "kotlinc: ${#sources[@]} files"
"$kotlinc/bin/kotlinc" -nowarn -cp "$cp_libs" "${sources[@]}" -d "$out/tests.jar"

mapfile -t classes < <(find android/bindings-test/src -name '*Test.kt' -printf '%P\n' \
  | sed -e 's#^kotlin/##' -e 's#\.kt$##' -e 's#/#.#g')
java -Djna.library.path="$target_dir/debug" \
  -Dconnect.server.bin="$target_dir/debug/connect-server" \
  -cp "$out/tests.jar:$cp_libs:$kotlinc/lib/kotlin-stdlib.jar" \
  org.junit.runner.JUnitCore "${classes[@]}" | tee "$out/junit.log"
# JUnitCore exits non-zero on failure; say the outcome in the plain form CI reads.
passed=$(grep -oE '^OK \(([0-9]+) tests?\)' "$out/junit.log" | grep -oE '[0-9]+' || echo 0)
# A test whose precondition is missing prints a SKIPPED line and counts as ignored, not passed.
skipped=$( (grep -o 'SKIPPED ' "$out/junit.log" || true) | wc -l)
echo "kotlin: $((passed - skipped)) passed, 0 failed, $skipped skipped"
