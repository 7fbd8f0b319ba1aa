/* Reports: filing (with photo bytes read by the screen) and rating go straight to core's outbox. */
package org.communityconnect.app.ui.reports

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

class ReportsViewModel(private val core: CoreApi) : ViewModel() {
    private val local = MutableStateFlow(ReportsUiState(available = core.community.available))

    val state: StateFlow<ReportsUiState> =
        combine(local, core.community.reports, core.community.reportCategories) { l, reports, categories ->
            l.copy(reports = reports, categories = categories)
        }.stateIn(viewModelScope, SharingStarted.WhileSubscribed(5_000), local.value)

    fun file(category: String, text: String, place: String, photos: List<ByteArray>) =
        act { core.community.fileReport(category, text, place, photos) }

    fun rate(reportId: String, stars: Int) = act { core.community.rateReport(reportId, stars) }

    private fun act(block: suspend () -> Unit) {
        viewModelScope.launch {
            local.value = local.value.copy(sending = true, message = null)
            val error = runCatching { block() }.exceptionOrNull()
            local.value = local.value.copy(sending = false, message = error?.residentMessage())
        }
    }
}
