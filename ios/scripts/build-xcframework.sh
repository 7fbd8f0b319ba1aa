#!/usr/bin/env bash
# Builds connect-ffi for iOS devices and simulators, packs it into an XCFramework and generates
# the Swift bindings, all into the local Swift package ios/ConnectCoreKit that the app depends on.
#
#   ios/scripts/build-xcframework.sh            # release build
#   PROFILE=debug ios/scripts/build-xcframework.sh
#
# Needs macOS with Xcode, rustup targets aarch64-apple-ios aarch64-apple-ios-sim x86_64-apple-ios.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
workspace="$(cd "$here/../.." && pwd)"
kit="$workspace/ios/ConnectCoreKit"
profile="${PROFILE:-release}"
lib="libconnect_ffi.a"
build="$workspace/target/ios-xcframework"
export IPHONEOS_DEPLOYMENT_TARGET="${IPHONEOS_DEPLOYMENT_TARGET:-16.0}"

cd "$workspace"
cargo_flags=(--locked -p connect-ffi)
[ "$profile" = release ] && cargo_flags+=(--release)
for target in aarch64-apple-ios aarch64-apple-ios-sim x86_64-apple-ios; do
  cargo build "${cargo_flags[@]}" --target "$target"
done
out() { echo "$workspace/target/$1/$profile/$lib"; }

rm -rf "$build" && mkdir -p "$build/bindings" "$build/headers" "$build/sim"

# Bindings first: the headers go into the XCFramework, the Swift sources into the package.
# Library mode reads the metadata from any slice; the bindings are the same for all.
cargo run --locked -q -p connect-ffi --bin uniffi-bindgen -- generate \
  --library "$(out aarch64-apple-ios)" --language swift --out-dir "$build/bindings"

# uniffi writes one header and one module map per crate (ConnectFFIFFI, ConnectCoreFFI). One
# XCFramework carries both, so their module maps are joined into the single one it may have.
cp "$build"/bindings/*.h "$build/headers/"
cat "$build"/bindings/*.modulemap > "$build/headers/module.modulemap"

# One simulator slice for both architectures; the device slice stays arm64 only.
lipo -create "$(out aarch64-apple-ios-sim)" "$(out x86_64-apple-ios)" -output "$build/sim/$lib"

rm -rf "$kit/ConnectFFI.xcframework"
xcodebuild -create-xcframework \
  -library "$(out aarch64-apple-ios)" -headers "$build/headers" \
  -library "$build/sim/$lib" -headers "$build/headers" \
  -output "$kit/ConnectFFI.xcframework"

rm -rf "$kit/Sources/ConnectCoreKit/Generated"
mkdir -p "$kit/Sources/ConnectCoreKit/Generated"
cp "$build"/bindings/*.swift "$kit/Sources/ConnectCoreKit/Generated/"

echo "ConnectCoreKit ready: $(ls "$kit/Sources/ConnectCoreKit/Generated" | tr '\n' ' ')"
