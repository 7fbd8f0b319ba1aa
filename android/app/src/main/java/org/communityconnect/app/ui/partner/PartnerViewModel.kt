/*
 * Partner mode: core checks a scanned voucher offline at once (genuine, not expired, for this
 * partner); redeeming is online and atomic on the server, so a second cashier's attempt fails there.
 */
package org.communityconnect.app.ui.partner

import androidx.lifecycle.ViewModel
import androidx.lifecycle.viewModelScope
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.launch
import org.communityconnect.app.core.CoreApi
import org.communityconnect.app.core.residentMessage

class PartnerViewModel(private val core: CoreApi) : ViewModel() {
    private val _state = MutableStateFlow<PartnerUiState>(PartnerUiState.Scanning)
    val state: StateFlow<PartnerUiState> = _state

    /** Called on the camera's analysis thread. */
    fun onFrame(luma: ByteArray, width: Int, height: Int, rowStride: Int) {
        if (_state.value !is PartnerUiState.Scanning) return
        val text = runCatching { core.decodeFrame(luma, width, height, rowStride) }.getOrNull()?.firstOrNull()?.text ?: return
        _state.value = try {
            PartnerUiState.Checked(text, core.community.checkVoucher(text))
        } catch (e: Exception) {
            PartnerUiState.Failed(e.residentMessage())
        }
    }

    fun redeem() {
        val checked = _state.value as? PartnerUiState.Checked ?: return
        _state.value = checked.copy(redeeming = true)
        viewModelScope.launch {
            _state.value = try {
                core.community.redeemVoucher(checked.scannedText)
                PartnerUiState.Redeemed(checked.check.points)
            } catch (e: Exception) {
                PartnerUiState.Failed(e.residentMessage())
            }
        }
    }

    fun scanNext() {
        _state.value = PartnerUiState.Scanning
    }
}
