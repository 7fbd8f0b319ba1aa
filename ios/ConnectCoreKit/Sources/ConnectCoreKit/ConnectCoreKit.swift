// ConnectCoreKit: the generated bindings of connect-ffi live in Generated/ (made by
// ios/scripts/build-xcframework.sh). This file only keeps the target non-empty before the first
// generation, so Xcode resolves the package and points at the script instead of failing obscurely.
public enum ConnectCoreKit {
    /// Where the generated sources come from, for error messages.
    public static let generator = "ios/scripts/build-xcframework.sh"
}
