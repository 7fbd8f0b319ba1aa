/*
 * Reports, outages, points/vouchers, the partner till and the offline building lookup, as the
 * screens see them. `CoreCommunity` implements it over the generated ConnectApp (one delegate per
 * method, no rules); `UnavailableFeatures` stands in where no core is open (previews). The types
 * here are presentation types mapped one-to-one from core's records in `CoreCommunity`.
 */
package org.communityconnect.app.core

import kotlinx.coroutines.flow.StateFlow

data class ReportSummary(
    val id: String,
    val title: String,
    val status: String,
    val photoCount: Int,
    val rating: Int?,
)

/** A report category the server publishes (`leak`, `lift`…), with its title for the picker. */
data class ReportCategoryChoice(val code: String, val title: String, val emergency: Boolean)

/** An outage; [latitude]/[longitude] are those of one affected building when the app knows it. */
data class OutageSummary(
    val id: String,
    val utility: String,
    val description: String,
    val startsAtMillis: Long,
    val endsAtMillis: Long?,
    val latitude: Double?,
    val longitude: Double?,
    /** It hits one of the resident's own buildings (listed first). */
    val mine: Boolean = false,
)

data class Offer(val id: String, val partner: String, val title: String, val points: Long)

/** A voucher as the resident shows it: [payload] is the signed text drawn as a QR code. */
data class Voucher(val id: String, val points: Long, val partner: String?, val expiresAtMillis: Long, val payload: String)

/** What a partner's offline check of a scanned voucher says, before redeeming online. */
data class VoucherCheck(val voucherId: String, val points: Long, val valid: Boolean, val reason: String?)

data class BuildingMatch(val buildingId: String, val address: String, val distanceMeters: Double)

interface CommunityFeatures {
    /** False until connect-ffi exports these capabilities; screens then say so instead of failing. */
    val available: Boolean

    val reports: StateFlow<List<ReportSummary>>
    val reportCategories: StateFlow<List<ReportCategoryChoice>>
    val outages: StateFlow<List<OutageSummary>>
    val pointsBalance: StateFlow<Long>
    val offers: StateFlow<List<Offer>>

    /** Re-reads the local store (after a sync or an event); cheap, no network. */
    fun reload()
    /** Fetches categories, points and offers from the server (after login, on pull-to-refresh). */
    suspend fun refresh()
    /** Files a report in [category] (a [ReportCategoryChoice.code]); queued offline, sent by sync. */
    suspend fun fileReport(category: String, text: String, place: String, photos: List<ByteArray>)
    suspend fun rateReport(reportId: String, stars: Int)
    suspend fun createVoucher(offerId: String): Voucher
    fun checkVoucher(scannedText: String): VoucherCheck
    suspend fun redeemVoucher(scannedText: String)
    fun lookupBuilding(latitude: Double, longitude: Double): List<BuildingMatch>
}

/** The honest stand-in while the exports are missing: empty state, and a clear error on use. */
object UnavailableFeatures : CommunityFeatures {
    private val none = kotlinx.coroutines.flow.MutableStateFlow(emptyList<Nothing>())
    override val available = false
    override val reports: StateFlow<List<ReportSummary>> = none
    override val reportCategories: StateFlow<List<ReportCategoryChoice>> = none
    override val outages: StateFlow<List<OutageSummary>> = none
    override val pointsBalance: StateFlow<Long> = kotlinx.coroutines.flow.MutableStateFlow(0L)
    override val offers: StateFlow<List<Offer>> = none

    private fun missing(): Nothing = throw FeatureUnavailable()
    override fun reload() = Unit
    override suspend fun refresh() = Unit
    override suspend fun fileReport(category: String, text: String, place: String, photos: List<ByteArray>) = missing()
    override suspend fun rateReport(reportId: String, stars: Int) = missing()
    override suspend fun createVoucher(offerId: String): Voucher = missing()
    override fun checkVoucher(scannedText: String): VoucherCheck = missing()
    override suspend fun redeemVoucher(scannedText: String) = missing()
    override fun lookupBuilding(latitude: Double, longitude: Double): List<BuildingMatch> = emptyList()
}

class FeatureUnavailable : IllegalStateException("No core is open here.")
