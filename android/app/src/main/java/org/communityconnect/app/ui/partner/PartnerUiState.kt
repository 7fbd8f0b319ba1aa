/* What the Partner (cashier) mode shows: scanning, the offline check of a voucher, then redemption. */
package org.communityconnect.app.ui.partner

import org.communityconnect.app.core.VoucherCheck

sealed interface PartnerUiState {
    data object Scanning : PartnerUiState
    data class Checked(val scannedText: String, val check: VoucherCheck, val redeeming: Boolean = false) : PartnerUiState
    data class Redeemed(val points: Long) : PartnerUiState
    data class Failed(val reason: String) : PartnerUiState
}
