/*
 * PENDING FFI: reports, outages, points/vouchers, partner redeem and the geo lookup are being
 * exported by connect-ffi right now. The screens are written against this small interface so that
 * wiring them is a few lines in `Core` (one delegate per method onto the generated ConnectApp) once
 * the exports land. The types here are presentation types, not re-declarations of core records:
 * when the generated records exist, these either become typealiases or a one-line mapping.
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

data class OutageSummary(
    val id: String,
    val utility: String,
    val description: String,
    val startsAtMillis: Long,
    val endsAtMillis: Long?,
    val latitude: Double,
    val longitude: Double,
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
    val outages: StateFlow<List<OutageSummary>>
    val pointsBalance: StateFlow<Long>
    val offers: StateFlow<List<Offer>>

    suspend fun fileReport(title: String, description: String, photos: List<ByteArray>)
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
    override val outages: StateFlow<List<OutageSummary>> = none
    override val pointsBalance: StateFlow<Long> = kotlinx.coroutines.flow.MutableStateFlow(0L)
    override val offers: StateFlow<List<Offer>> = none

    private fun missing(): Nothing = throw FeatureUnavailable()
    override suspend fun fileReport(title: String, description: String, photos: List<ByteArray>) = missing()
    override suspend fun rateReport(reportId: String, stars: Int) = missing()
    override suspend fun createVoucher(offerId: String): Voucher = missing()
    override fun checkVoucher(scannedText: String): VoucherCheck = missing()
    override suspend fun redeemVoucher(scannedText: String) = missing()
    override fun lookupBuilding(latitude: Double, longitude: Double): List<BuildingMatch> = emptyList()
}

class FeatureUnavailable : IllegalStateException("This build of the core does not offer this yet.")
