/*
 * A core for Compose previews: fixed, plausible data in the generated record types, no native
 * library loaded. Never used by the running app.
 */
package org.communityconnect.app.ui.preview

import kotlinx.coroutines.flow.MutableSharedFlow
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.SharedFlow
import kotlinx.coroutines.flow.StateFlow
import org.communityconnect.app.core.BuildingMatch
import org.communityconnect.app.core.CommunityFeatures
import org.communityconnect.app.core.CoreApi
import org.communityconnect.app.core.Offer
import org.communityconnect.app.core.OutageSummary
import org.communityconnect.app.core.ReportCategoryChoice
import org.communityconnect.app.core.ReportSummary
import org.communityconnect.app.core.StickerOutcome
import org.communityconnect.app.core.SubmitOutcome
import org.communityconnect.app.core.Voucher
import org.communityconnect.app.core.VoucherCheck
import org.communityconnect.core.AppEvent
import org.communityconnect.core.Meter
import org.communityconnect.core.Reading
import org.communityconnect.core.ReadingItem
import org.communityconnect.core.ReadingState
import org.communityconnect.core.StoredRejection
import org.communityconnect.core.Tariff
import org.communityconnect.core.TariffValue
import org.communityconnect.core.UtilityKind
import org.communityconnect.ffi.DecodedCode

private const val ACCOUNT = "0190f0a0-0000-7000-8000-000000000001"
private const val NOW = 1_763_900_000_000L

class FakeCore : CoreApi {
    private val water = Meter(
        id = "0190f0a0-0000-7000-8000-0000000000a1", apartmentId = "0190f0a0-0000-7000-8000-0000000000f1",
        accountId = ACCOUNT, kind = UtilityKind.COLD_WATER, serial = "CW-104233", integerDigits = 5u,
        fractionDigits = 3u, tariffs = listOf(Tariff.SINGLE), installedOn = "2021-03-01",
        nextVerificationOn = "2027-03-01", replaces = null,
    )
    private val power = water.copy(
        id = "0190f0a0-0000-7000-8000-0000000000a2", kind = UtilityKind.ELECTRICITY, serial = "EL-88120",
        integerDigits = 6u, fractionDigits = 1u, tariffs = listOf(Tariff.DAY, Tariff.NIGHT),
    )

    override val loggedIn: StateFlow<Boolean> = MutableStateFlow(true)
    override val meters: StateFlow<List<Meter>> = MutableStateFlow(listOf(water, power))
    override val readings: StateFlow<List<ReadingItem>> = MutableStateFlow(
        listOf(
            ReadingItem(
                reading = Reading("0190f0a0-0000-7000-8000-0000000000b1", water.id, listOf(TariffValue(Tariff.SINGLE, "00120.500")), NOW, false),
                state = ReadingState.REJECTED, receivedAt = null, late = false,
                rejection = StoredRejection("below_previous", "The value is below the previous reading (00123.000).", NOW),
                attempts = 0u, lastError = null,
            ),
        ),
    )
    override val syncing: StateFlow<Boolean> = MutableStateFlow(false)
    override val events: SharedFlow<AppEvent> = MutableSharedFlow()
    override val community: CommunityFeatures = FakeCommunity

    override suspend fun requestCode(phone: String) = Unit
    override suspend fun verifyCode(phone: String, code: String) = Unit
    override suspend fun logout() = Unit
    override suspend fun refreshProperty() = Unit
    override suspend fun submitReading(meterId: String, values: List<TariffValue>, takenAtMillis: Long, confirmedJump: Boolean) =
        SubmitOutcome.Queued("0190f0a0-0000-7000-8000-0000000000b2")
    override suspend fun syncNow() = Unit
    override fun connectivityRegained() = Unit
    override fun decodeFrame(luma: ByteArray, width: Int, height: Int, rowStride: Int) = emptyList<DecodedCode>()
    override fun verifySticker(text: String) = StickerOutcome.Refused("Preview: no stickers here.")
}

private object FakeCommunity : CommunityFeatures {
    override val available = true
    override val reports: StateFlow<List<ReportSummary>> = MutableStateFlow(
        listOf(ReportSummary("r1", "Entrance door does not close", "in_progress", 2, null), ReportSummary("r2", "Broken lamp, 3rd floor", "resolved", 1, null)),
    )
    override val reportCategories: StateFlow<List<ReportCategoryChoice>> = MutableStateFlow(
        listOf(ReportCategoryChoice("leak", "Leak", emergency = true), ReportCategoryChoice("lighting", "Lighting", emergency = false)),
    )
    override val outages: StateFlow<List<OutageSummary>> = MutableStateFlow(
        listOf(OutageSummary("o1", "hot water", "Planned pipe repair", NOW, NOW + 86_400_000, 55.752, 37.615, mine = true)),
    )
    override val pointsBalance: StateFlow<Long> = MutableStateFlow(450)
    override val offers: StateFlow<List<Offer>> = MutableStateFlow(listOf(Offer("f1", "Bakery on Lenina", "Coffee", 300)))
    override fun reload() = Unit
    override suspend fun refresh() = Unit
    override suspend fun fileReport(category: String, text: String, place: String, photos: List<ByteArray>) = Unit
    override suspend fun rateReport(reportId: String, stars: Int) = Unit
    override suspend fun createVoucher(offerId: String) = Voucher("v1", 300, "Bakery on Lenina", NOW + 86_400_000, "CC1.preview")
    override fun checkVoucher(scannedText: String) = VoucherCheck("v1", 300, valid = true, reason = null)
    override suspend fun redeemVoucher(scannedText: String) = Unit
    override fun lookupBuilding(latitude: Double, longitude: Double) = listOf(BuildingMatch("b1", "Lenina 12", 0.0))
}
