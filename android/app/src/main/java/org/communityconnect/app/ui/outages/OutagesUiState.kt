/* What the Outages screen shows: outages placed around the resident, and the building they stand at. */
package org.communityconnect.app.ui.outages

import org.communityconnect.app.core.BuildingMatch
import org.communityconnect.app.core.OutageSummary
import org.communityconnect.app.platform.Fix

data class OutagesUiState(
    val available: Boolean = true,
    val outages: List<OutageSummary> = emptyList(),
    val fix: Fix? = null,
    /** Core's geo lookup for [fix]: the footprint containing it, or candidates within GPS error. */
    val here: List<BuildingMatch> = emptyList(),
    val locating: Boolean = false,
)
