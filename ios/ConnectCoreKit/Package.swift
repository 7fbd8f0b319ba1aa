// swift-tools-version:5.9
// The Rust core for the iOS app: the XCFramework and the uniffi-generated Swift, both produced by
// ios/scripts/build-xcframework.sh (neither is committed). Both crates' bindings (ConnectFFI and
// ConnectCore) compile into this one module, so the app has a single `import ConnectCoreKit`.
import PackageDescription

let package = Package(
    name: "ConnectCoreKit",
    platforms: [.iOS(.v16)],
    products: [
        .library(name: "ConnectCoreKit", targets: ["ConnectCoreKit"]),
    ],
    targets: [
        .binaryTarget(name: "ConnectFFI", path: "ConnectFFI.xcframework"),
        .target(
            name: "ConnectCoreKit",
            dependencies: ["ConnectFFI"],
            path: "Sources/ConnectCoreKit"
        ),
    ]
)
