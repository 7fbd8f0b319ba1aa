/*
 * Readings: hands the typed values to core, which validates, stores and queues them offline. The
 * outcome (queued, rejected with a reason, or "are you sure?") comes back already decided.
 */
package org.communityconnect.app.ui.readings

import androidx.lifecycle.ViewModel
import androidx.lifecycle.viewModelScope
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.SharingStarted
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.combine
import kotlinx.coroutines.flow.stateIn
import kotlinx.coroutines.launch
import org.communityconnect.app.core.CoreApi
import org.communityconnect.app.core.residentMessage
import org.communityconnect.app.core.SubmitOutcome
import org.communityconnect.core.ReadingState
import org.communityconnect.core.Tariff
import org.communityconnect.core.TariffValue

class ReadingsViewModel(private val core: CoreApi) : ViewModel() {
    private val local = MutableStateFlow(ReadingsUiState())

    val state: StateFlow<ReadingsUiState> = combine(local, core.meters, core.readings, core.syncing) { l, meters, items, syncing ->
        l.copy(
            meters = meters,
            queued = items.inState(ReadingState.QUEUED),
            rejected = items.inState(ReadingState.REJECTED),
            accepted = items.inState(ReadingState.ACCEPTED),
            syncing = syncing,
        )
    }.stateIn(viewModelScope, SharingStarted.WhileSubscribed(5_000), ReadingsUiState())

    /** [values] maps a tariff's name to the text typed for it; core parses and checks the digits. */
    fun submit(meterId: String, values: Map<String, String>, confirmedJump: Boolean = false) {
        viewModelScope.launch {
            val tariffValues = values.map { (tariff, value) -> TariffValue(Tariff.valueOf(tariff), value.trim()) }
            val outcome = try {
                core.submitReading(meterId, tariffValues, System.currentTimeMillis(), confirmedJump)
            } catch (e: Exception) {
                local.value = local.value.copy(confirmation = null, message = e.residentMessage())
                return@launch
            }
            local.value = when (outcome) {
                is SubmitOutcome.Queued -> local.value.copy(confirmation = null, message = null)
                is SubmitOutcome.Rejected -> local.value.copy(confirmation = null, message = outcome.reason)
                is SubmitOutcome.NeedsConfirmation ->
                    local.value.copy(confirmation = PendingConfirmation(meterId, values, outcome.reason))
            }
        }
    }

    fun confirmJump() {
        val pending = local.value.confirmation ?: return
        submit(pending.meterId, pending.values, confirmedJump = true)
    }

    fun dismissConfirmation() {
        local.value = local.value.copy(confirmation = null)
    }

    fun syncNow() {
        viewModelScope.launch { runCatching { core.syncNow() } }
    }
}
