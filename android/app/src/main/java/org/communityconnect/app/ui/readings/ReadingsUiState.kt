/* What the Readings screen shows: the form per meter, the queue, and rejections with reasons. */
package org.communityconnect.app.ui.readings

import org.communityconnect.core.Meter
import org.communityconnect.core.ReadingItem
import org.communityconnect.core.ReadingState

data class ReadingsUiState(
    val meters: List<Meter> = emptyList(),
    val queued: List<ReadingItem> = emptyList(),
    val rejected: List<ReadingItem> = emptyList(),
    val accepted: List<ReadingItem> = emptyList(),
    val syncing: Boolean = false,
    /** Core asked for confirmation of an unusual jump; the dialog resubmits the same values. */
    val confirmation: PendingConfirmation? = null,
    val message: String? = null,
)

data class PendingConfirmation(val meterId: String, val values: Map<String, String>, val reason: String)

fun List<ReadingItem>.inState(state: ReadingState) = filter { it.state == state }
