//! Generates the Kotlin and Swift bindings from the built connect-ffi library.

fn main() {
    uniffi::uniffi_bindgen_main()
}
