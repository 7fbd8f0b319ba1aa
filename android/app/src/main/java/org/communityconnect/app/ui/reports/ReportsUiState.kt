/* What the Reports screen shows: the resident's reports with status, and the new-report form. */
package org.communityconnect.app.ui.reports

import org.communityconnect.app.core.ReportCategoryChoice
import org.communityconnect.app.core.ReportSummary

data class ReportsUiState(
    val available: Boolean = true,
    val reports: List<ReportSummary> = emptyList(),
    /** The categories the server publishes; a report is filed in one of them. */
    val categories: List<ReportCategoryChoice> = emptyList(),
    val sending: Boolean = false,
    val message: String? = null,
)
