/* Home: login by phone code, then the property from core's local store (refreshed on demand). */
package org.communityconnect.app.ui.home

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

class HomeViewModel(private val core: CoreApi) : ViewModel() {
    private val local = MutableStateFlow(HomeUiState())

    val state: StateFlow<HomeUiState> = combine(
        local, core.loggedIn, core.meters, core.syncing, core.community.outages,
    ) { l, loggedIn, meters, syncing, outages ->
        l.copy(loggedIn = loggedIn, accounts = meters.groupBy { it.accountId }, syncing = syncing, outages = outages)
    }.stateIn(viewModelScope, SharingStarted.WhileSubscribed(5_000), HomeUiState())

    fun requestCode(phone: String) = run { core.requestCode(phone); local.value = local.value.copy(codeSent = true) }

    fun verifyCode(phone: String, code: String) = run { core.verifyCode(phone, code) }

    fun refresh() = run { core.refreshProperty() }

    fun logout() = run { core.logout(); local.value = HomeUiState() }

    private fun run(block: suspend () -> Unit) {
        viewModelScope.launch {
            local.value = local.value.copy(busy = true, error = null)
            try {
                block()
                local.value = local.value.copy(busy = false)
            } catch (e: Exception) {
                // Core's errors carry messages meant for the resident.
                local.value = local.value.copy(busy = false, error = e.residentMessage())
            }
        }
    }
}
