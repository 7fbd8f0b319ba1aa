/*
 * What the screens see of the Rust core: state as StateFlows and plain suspend calls. `Core` is the
 * real implementation over the generated ConnectApp; `FakeCore` (ui/preview) powers Compose previews.
 */
package org.communityconnect.app.core

import kotlinx.coroutines.flow.SharedFlow
import kotlinx.coroutines.flow.StateFlow
import org.communityconnect.core.AppEvent
import org.communityconnect.core.Meter
import org.communityconnect.core.ReadingItem
import org.communityconnect.core.StickerClaims
import org.communityconnect.core.TariffValue
import org.communityconnect.ffi.DecodedCode

/** The outcome of a submit, already split into what the Readings screen shows. */
sealed interface SubmitOutcome {
    data class Queued(val readingId: String) : SubmitOutcome
    data class Rejected(val code: String, val reason: String) : SubmitOutcome
    data class NeedsConfirmation(val reason: String) : SubmitOutcome
}

/** A sticker scan, with the refusal already in words for the resident. */
sealed interface StickerOutcome {
    data class Opened(val claims: StickerClaims) : StickerOutcome
    data class Refused(val reason: String) : StickerOutcome
}

interface CoreApi {
    val loggedIn: StateFlow<Boolean>
    val meters: StateFlow<List<Meter>>
    val readings: StateFlow<List<ReadingItem>>
    val syncing: StateFlow<Boolean>
    /** Every listener event, for notifications and snackbars. */
    val events: SharedFlow<AppEvent>

    /** Capabilities whose ffi exports are still being written; see [CommunityFeatures]. */
    val community: CommunityFeatures

    suspend fun requestCode(phone: String)
    suspend fun verifyCode(phone: String, code: String)
    suspend fun logout()
    suspend fun refreshProperty()
    suspend fun submitReading(meterId: String, values: List<TariffValue>, takenAtMillis: Long, confirmedJump: Boolean): SubmitOutcome
    suspend fun syncNow()
    fun connectivityRegained()

    /** Decodes a camera luma plane; safe to call on the analyzer thread. */
    fun decodeFrame(luma: ByteArray, width: Int, height: Int, rowStride: Int): List<DecodedCode>
    fun verifySticker(text: String): StickerOutcome
}
