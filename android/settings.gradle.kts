// The CommunityConnect Android app: one Gradle project, one app module. The Rust core is built
// by the app module's own tasks (see app/build.gradle.kts), so there is no second library module.
pluginManagement {
    repositories {
        google()
        mavenCentral()
        gradlePluginPortal()
    }
}

dependencyResolutionManagement {
    repositoriesMode.set(RepositoriesMode.FAIL_ON_PROJECT_REPOS)
    repositories {
        google()
        mavenCentral()
    }
}

rootProject.name = "CommunityConnect"
include(":app")
