// The app module. Two Exec tasks build the Rust side before Kotlin compiles:
//   cargoNdkBuild   - connect-ffi for every ABI into src/main/jniLibs (cargo-ndk)
//   generateUniffi  - Kotlin bindings from that library into build/generated/uniffi
// so `./gradlew :app:assembleDebug` is the one command that builds everything.
plugins {
    alias(libs.plugins.android.application)
    alias(libs.plugins.kotlin.android)
    alias(libs.plugins.kotlin.compose)
}

val rustWorkspace: File = rootProject.file(providers.gradleProperty("connect.rustWorkspace").get())
val jniLibsDir: File = file("src/main/jniLibs")
val uniffiOutDir: File = layout.buildDirectory.dir("generated/uniffi").get().asFile
val abis = listOf("arm64-v8a", "armeabi-v7a", "x86_64")

android {
    namespace = "org.communityconnect.app"
    compileSdk = 35
    ndkVersion = "27.2.12479018"

    defaultConfig {
        applicationId = "org.communityconnect.app"
        minSdk = 26
        targetSdk = 35
        versionCode = 1
        versionName = "0.1.0"
        buildConfigField("String", "SERVER_URL", "\"${providers.gradleProperty("connect.serverUrl").get()}\"")
        buildConfigField("String", "TRUSTED_KEYS", "\"${providers.gradleProperty("connect.trustedKeys").get()}\"")
        ndk { abiFilters += abis }
    }

    buildTypes {
        release {
            isMinifyEnabled = true
            proguardFiles(getDefaultProguardFile("proguard-android-optimize.txt"), "proguard-rules.pro")
        }
    }
    compileOptions {
        sourceCompatibility = JavaVersion.VERSION_17
        targetCompatibility = JavaVersion.VERSION_17
    }
    kotlinOptions { jvmTarget = "17" }
    buildFeatures {
        compose = true
        buildConfig = true
    }
    sourceSets["main"].java.srcDir(uniffiOutDir)
}

val cargoNdkBuild by tasks.registering(Exec::class) {
    group = "rust"
    description = "Builds connect-ffi for the Android ABIs with cargo-ndk."
    workingDir = rustWorkspace
    val args = mutableListOf("cargo", "ndk")
    abis.forEach { args += listOf("-t", it) }
    args += listOf("-o", jniLibsDir.absolutePath, "build", "--release", "-p", "connect-ffi")
    commandLine(args)
    // cargo decides itself whether anything changed; Gradle only needs to know the outputs.
    inputs.files(fileTree(rustWorkspace) { include("Cargo.toml", "Cargo.lock", "core/**", "ffi/**"); exclude("**/target/**") })
    outputs.dir(jniLibsDir)
}

val generateUniffi by tasks.registering(Exec::class) {
    group = "rust"
    description = "Generates the Kotlin bindings from the built connect-ffi library."
    dependsOn(cargoNdkBuild)
    workingDir = rustWorkspace
    // Library mode reads the metadata from any ABI's build; the bindings are the same for all.
    val library = File(jniLibsDir, "arm64-v8a/libconnect_ffi.so")
    inputs.file(library)
    outputs.dir(uniffiOutDir)
    doFirst { uniffiOutDir.deleteRecursively() }
    commandLine(
        "cargo", "run", "--locked", "-q", "-p", "connect-ffi", "--bin", "uniffi-bindgen", "--",
        "generate", "--library", library.absolutePath, "--language", "kotlin",
        "--out-dir", uniffiOutDir.absolutePath,
    )
}

tasks.named("preBuild") { dependsOn(generateUniffi) }

dependencies {
    implementation(libs.androidx.core.ktx)
    implementation(libs.androidx.activity.compose)
    implementation(libs.androidx.lifecycle.viewmodel.compose)
    implementation(libs.androidx.lifecycle.runtime.compose)
    implementation(libs.androidx.navigation.compose)
    implementation(platform(libs.compose.bom))
    implementation(libs.compose.ui)
    implementation(libs.compose.ui.tooling.preview)
    implementation(libs.compose.material3)
    implementation(libs.compose.material.icons)
    implementation(libs.camerax.core)
    implementation(libs.camerax.camera2)
    implementation(libs.camerax.lifecycle)
    implementation(libs.camerax.view)
    implementation(libs.work.runtime.ktx)
    implementation(libs.play.services.location)
    implementation(libs.kotlinx.coroutines.android)
    implementation(libs.kotlinx.coroutines.play.services)
    implementation(libs.zxing.core)
    // The AAR carries libjnidispatch.so for every Android ABI; the plain jar does not.
    implementation("${libs.jna.get()}@aar")
    debugImplementation(libs.compose.ui.tooling)
}
