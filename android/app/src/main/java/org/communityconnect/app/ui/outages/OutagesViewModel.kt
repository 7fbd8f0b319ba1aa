/* Outages: one fused-location fix, looked up in core's offline building index; outages from core. */
package org.communityconnect.app.ui.outages

import androidx.lifecycle.ViewModel
import androidx.lifecycle.viewModelScope
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.SharingStarted
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.combine
import kotlinx.coroutines.flow.stateIn
import kotlinx.coroutines.launch
import org.communityconnect.app.core.CoreApi
import org.communityconnect.app.platform.LocationProvider

class OutagesViewModel(private val core: CoreApi, private val location: LocationProvider) : ViewModel() {
    private val local = MutableStateFlow(OutagesUiState(available = core.community.available))

    val state: StateFlow<OutagesUiState> = combine(local, core.community.outages) { l, outages -> l.copy(outages = outages) }
        .stateIn(viewModelScope, SharingStarted.WhileSubscribed(5_000), local.value)

    /** Call once the location permission is granted. */
    fun locate() {
        viewModelScope.launch {
            local.value = local.value.copy(locating = true)
            val fix = location.currentFix()
            val here = fix?.let { core.community.lookupBuilding(it.latitude, it.longitude) }.orEmpty()
            local.value = local.value.copy(locating = false, fix = fix, here = here)
        }
    }
}
