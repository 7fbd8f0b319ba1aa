package org.communityconnect.test

import org.communityconnect.ffi.coreVersion
import kotlin.test.Test
import kotlin.test.assertTrue

class SmokeTest {
    @Test
    fun theLibraryLoadsAndAnswers() {
        assertTrue(coreVersion().matches(Regex("""\d+\.\d+\.\d+""")))
    }
}
