/* What the Points screen shows: the balance, partner offers, and a voucher's QR once created. */
package org.communityconnect.app.ui.points

import org.communityconnect.app.core.Offer
import org.communityconnect.app.core.Voucher

data class PointsUiState(
    val available: Boolean = true,
    val balance: Long = 0,
    val offers: List<Offer> = emptyList(),
    val voucher: Voucher? = null,
    val message: String? = null,
)
