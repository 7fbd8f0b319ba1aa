/* Points: core creates and signs the voucher; the screen only draws its payload as a QR code. */
package org.communityconnect.app.ui.points

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

class PointsViewModel(private val core: CoreApi) : ViewModel() {
    private val local = MutableStateFlow(PointsUiState(available = core.community.available))

    val state: StateFlow<PointsUiState> = combine(local, core.community.pointsBalance, core.community.offers) { l, balance, offers ->
        l.copy(balance = balance, offers = offers)
    }.stateIn(viewModelScope, SharingStarted.WhileSubscribed(5_000), local.value)

    fun createVoucher(offerId: String) {
        viewModelScope.launch {
            local.value = try {
                local.value.copy(voucher = core.community.createVoucher(offerId), message = null)
            } catch (e: Exception) {
                local.value.copy(message = e.residentMessage())
            }
        }
    }

    fun closeVoucher() {
        local.value = local.value.copy(voucher = null)
    }
}
