/* What the Home screen shows: login, or the resident's property, accounts and current outages. */
package org.communityconnect.app.ui.home

import org.communityconnect.app.core.OutageSummary
import org.communityconnect.core.Meter

data class HomeUiState(
    val loggedIn: Boolean = false,
    val codeSent: Boolean = false,
    val busy: Boolean = false,
    val syncing: Boolean = false,
    /** Meters grouped by the account they bill to. */
    val accounts: Map<String, List<Meter>> = emptyMap(),
    val outages: List<OutageSummary> = emptyList(),
    val error: String? = null,
)
