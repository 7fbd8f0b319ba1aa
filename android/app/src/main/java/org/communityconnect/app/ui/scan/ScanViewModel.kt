/*
 * Scan: every frame goes to core's decoder; the first code found is checked as a building sticker
 * offline by core. A refusal is shown in core's words and scanning stops until the resident retries.
 */
package org.communityconnect.app.ui.scan

import androidx.lifecycle.ViewModel
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import org.communityconnect.app.core.CoreApi
import org.communityconnect.app.core.StickerOutcome

class ScanViewModel(private val core: CoreApi) : ViewModel() {
    private val _state = MutableStateFlow<ScanUiState>(ScanUiState.Scanning)
    val state: StateFlow<ScanUiState> = _state

    /** Called on the camera's analysis thread. */
    fun onFrame(luma: ByteArray, width: Int, height: Int, rowStride: Int) {
        if (_state.value !is ScanUiState.Scanning) return
        val code = runCatching { core.decodeFrame(luma, width, height, rowStride) }.getOrNull()?.firstOrNull() ?: return
        _state.value = when (val outcome = core.verifySticker(code.text)) {
            is StickerOutcome.Opened -> ScanUiState.Building(outcome.claims.buildingId, outcome.claims.issuedOn)
            is StickerOutcome.Refused -> ScanUiState.Refused(outcome.reason)
        }
    }

    fun scanAgain() {
        _state.value = ScanUiState.Scanning
    }
}
