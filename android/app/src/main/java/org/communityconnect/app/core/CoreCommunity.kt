/*
 * CommunityFeatures over the generated ConnectApp: each method is one call into core on the IO
 * dispatcher and a one-to-one mapping of its records to the screens' presentation types. No rules
 * live here: validation, queueing, sync, voucher signatures and the geo index are core's. Plain
 * Kotlin (no Android API), so scripts/kotlin-tests.sh compiles it against the generated bindings.
 */
package org.communityconnect.app.core

import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.withContext
import org.communityconnect.core.Lookup
import org.communityconnect.core.OutageItem
import org.communityconnect.core.ReportItem
import org.communityconnect.ffi.ConnectApp
import org.communityconnect.ffi.ConnectException
import java.util.UUID
import org.communityconnect.core.Offer as CoreOffer

class CoreCommunity(private val app: ConnectApp) : CommunityFeatures {
    override val available = true

    private val _reports = MutableStateFlow(emptyList<ReportSummary>())
    private val _categories = MutableStateFlow(emptyList<ReportCategoryChoice>())
    private val _outages = MutableStateFlow(emptyList<OutageSummary>())
    private val _balance = MutableStateFlow(0L)
    private val _offers = MutableStateFlow(emptyList<Offer>())
    private var coreOffers: List<CoreOffer> = emptyList()

    override val reports: StateFlow<List<ReportSummary>> = _reports
    override val reportCategories: StateFlow<List<ReportCategoryChoice>> = _categories
    override val outages: StateFlow<List<OutageSummary>> = _outages
    override val pointsBalance: StateFlow<Long> = _balance
    override val offers: StateFlow<List<Offer>> = _offers

    override fun reload() {
        _reports.value = app.reports().map(::summary)
        _categories.value = app.reportCategories().map { ReportCategoryChoice(it.code, it.title, it.emergency) }
        _outages.value = app.outages().map(::outage)
        _balance.value = app.pointsBalance()
        coreOffers = app.offers()
        _offers.value = coreOffers.map { Offer(it.id, it.partnerName, it.title, it.points.toLong()) }
    }

    override suspend fun refresh() = withContext(Dispatchers.IO) {
        app.refreshReportCategories()
        app.refreshPoints()
        reload()
    }

    override suspend fun fileReport(category: String, text: String, place: String, photos: List<ByteArray>) =
        withContext(Dispatchers.IO) {
            // One home: core files it there; several: the server asks for the building (a Rejected).
            app.fileReport(null, category, text, place, photos)
            _reports.value = app.reports().map(::summary)
        }

    override suspend fun rateReport(reportId: String, stars: Int) = withContext(Dispatchers.IO) {
        app.rateReport(reportId, stars.coerceIn(1, 5).toUByte(), null)
        _reports.value = app.reports().map(::summary)
    }

    override suspend fun createVoucher(offerId: String): Voucher = withContext(Dispatchers.IO) {
        val offer = coreOffers.firstOrNull { it.id == offerId } ?: throw ConnectException.NotFound()
        val issued = app.createVoucher(offer.points, offer.partnerId)
        _balance.value = issued.balance
        Voucher(issued.voucher.id, issued.voucher.points.toLong(), offer.partnerName, issued.voucher.expiresAt, issued.token)
    }

    /** The cashier's offline check: the signature, expiry and partner, before redeeming online. */
    override fun checkVoucher(scannedText: String): VoucherCheck {
        val partner = app.cashierPartner()
            ?: return VoucherCheck("", 0, valid = false, reason = "Sign in as a partner shop's cashier first.")
        return try {
            val claims = app.verifyVoucher(scannedText, partner, System.currentTimeMillis())
            VoucherCheck(claims.id, claims.points.toLong(), valid = true, reason = null)
        } catch (e: ConnectException.Rejected) {
            VoucherCheck("", 0, valid = false, reason = e.reason)
        }
    }

    override suspend fun redeemVoucher(scannedText: String) {
        withContext(Dispatchers.IO) {
            // One attempt id per tap: a retry after a lost answer never debits twice.
            app.redeem(scannedText, UUID.randomUUID().toString())
        }
    }

    override fun lookupBuilding(latitude: Double, longitude: Double): List<BuildingMatch> =
        when (val found = app.locate(latitude, longitude, LOOKUP_ACCURACY_M)) {
            is Lookup.Inside -> listOf(BuildingMatch(found.v1.buildingId, found.v1.address.orEmpty(), 0.0))
            is Lookup.Near -> found.v1.map { BuildingMatch(it.building.buildingId, it.building.address.orEmpty(), it.distanceM) }
            Lookup.Nothing -> emptyList()
        }

    private fun summary(r: ReportItem) = ReportSummary(
        id = r.id,
        title = listOfNotNull(r.number, r.category, r.text.take(TITLE_CHARS)).joinToString(" · "),
        status = r.status.name.lowercase(),
        photoCount = r.photoCount.toInt(),
        rating = r.rating?.toInt(),
    )

    private fun outage(o: OutageItem) = OutageSummary(
        id = o.outage.id,
        utility = o.outage.utility.name.lowercase(),
        description = o.outage.description,
        startsAtMillis = o.outage.startsAt,
        endsAtMillis = o.outage.endedAt ?: o.outage.expectedEndAt,
        latitude = o.lat,
        longitude = o.lon,
        mine = o.mine,
    )

    private companion object {
        const val LOOKUP_ACCURACY_M = 25.0
        const val TITLE_CHARS = 60
    }
}
