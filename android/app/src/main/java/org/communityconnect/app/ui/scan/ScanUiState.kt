/* What the Scan screen shows: the camera, then the building a genuine sticker names or why not. */
package org.communityconnect.app.ui.scan

sealed interface ScanUiState {
    data object Scanning : ScanUiState
    data class Building(val buildingId: String, val issuedOn: String) : ScanUiState
    data class Refused(val reason: String) : ScanUiState
}
