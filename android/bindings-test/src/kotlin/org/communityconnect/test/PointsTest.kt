// Bonus points through the generated Kotlin bindings, against the real library and a real server
// on loopback: the resident's balance arrives by sync with a PointsChanged event, a voucher is made
// with its QR matrix (painted here into a camera-like frame and decoded back), a cashier's app
// verifies it offline, redeems it once, and the second redemption is a Kotlin exception with the
// stable code. Business rules are tested in Rust.
package org.communityconnect.test

import kotlinx.coroutines.runBlocking
import org.communityconnect.core.AppEvent
import org.communityconnect.core.LedgerReason
import org.communityconnect.core.QrMatrix
import org.communityconnect.core.RoundEnd
import org.communityconnect.ffi.AppConfig
import org.communityconnect.ffi.AppListener
import org.communityconnect.ffi.ConnectApp
import org.communityconnect.ffi.ConnectException
import org.communityconnect.ffi.decodeFrame
import org.junit.AfterClass
import org.junit.BeforeClass
import java.io.File
import java.nio.file.Files
import java.util.UUID
import java.util.concurrent.CopyOnWriteArrayList
import kotlin.test.Test
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertTrue

class PointsTest {
    companion object {
        private lateinit var server: LoopbackServer
        const val RESIDENT = "+79100000001"
        const val CASHIER = "+79100000101"
        const val PARTNER = "KP1"

        @JvmStatic
        @BeforeClass
        fun startServer() {
            server = LoopbackServer.start()
            server.seedPartner(PARTNER, CASHIER)
            server.awardInspection(RESIDENT, "kotlin-insp-1")
        }

        @JvmStatic
        @AfterClass
        fun stopServer() {
            server.close()
        }
    }

    private val dir: File = Files.createTempDirectory("connect-points-").toFile().apply { deleteOnExit() }

    private fun loggedIn(phone: String): ConnectApp {
        val app = ConnectApp.open(AppConfig(File(dir, "$phone.db").path, server.baseUrl, ByteArray(32) { 4 }, listOf()))
        app.requestCode(phone)
        app.verifyCode(phone, server.lastCode(phone))
        return app
    }

    /** The matrix as a camera would see it: 6 px per module, 4 modules of margin, padded rows. */
    private fun frameOf(qr: QrMatrix): Triple<ByteArray, Int, Int> {
        val scale = 6
        val side = (qr.size.toInt() + 8) * scale
        val stride = side + 16
        val luma = ByteArray(stride * side) { 0x55 }
        for (y in 0 until side) {
            for (x in 0 until side) {
                val mx = x / scale - 4
                val my = y / scale - 4
                val n = qr.size.toInt()
                val dark = mx in 0 until n && my in 0 until n && qr.dark[my * n + mx]
                luma[y * stride + x] = (if (dark) 30 else 220).toByte()
            }
        }
        return Triple(luma, side, stride)
    }

    @Test
    fun aVoucherIsVerifiedOfflineRedeemedOnceAndTheSecondRedemptionIsAnException() {
        val heard = CopyOnWriteArrayList<AppEvent>()
        loggedIn(RESIDENT).use { resident ->
            resident.setListener(object : AppListener {
                override fun onEvent(event: AppEvent) {
                    heard.add(event)
                }
            })
            assertEquals(RoundEnd.Synced, runBlocking { resident.syncNow() })
            assertEquals(50L, resident.pointsBalance())
            assertTrue(heard.contains(AppEvent.PointsChanged(50L)), "heard $heard")
            assertEquals(LedgerReason.HOUSE_INSPECTION, resident.pointsHistory().single().reason)

            val issued = resident.createVoucher(20u, PARTNER)
            assertEquals(30L, issued.balance)
            assertEquals(20u, issued.voucher.points)
            assertEquals(issued.qr.size.toInt() * issued.qr.size.toInt(), issued.qr.dark.size)
            val (luma, side, stride) = frameOf(issued.qr)
            val decoded = decodeFrame(luma, side.toUInt(), side.toUInt(), stride.toUInt())
            assertEquals(listOf(issued.token), decoded.map { it.text })

            loggedIn(CASHIER).use { till ->
                assertEquals(PARTNER, till.cashierPartner())
                till.refreshPoints()
                val now = System.currentTimeMillis()
                val claims = till.verifyVoucher(issued.token, PARTNER, now)
                assertEquals(issued.voucher.id, claims.id)
                assertEquals(20u, claims.points)
                val wrong = assertFailsWith<ConnectException.Rejected> {
                    till.verifyVoucher(issued.token, "another-shop", now)
                }
                assertEquals("wrong_partner", wrong.code)
                val expired = assertFailsWith<ConnectException.Rejected> {
                    till.verifyVoucher(issued.token, PARTNER, now + 3_600_000)
                }
                assertEquals("expired", expired.code)

                val attempt = UUID.randomUUID().toString()
                val redeemed = till.redeem(issued.token, attempt)
                assertEquals(20u, redeemed.points)
                assertEquals(PARTNER, redeemed.partnerId)
                assertEquals(redeemed, till.redeem(issued.token, attempt), "a retried attempt answers the same")
                val again = assertFailsWith<ConnectException.Rejected> {
                    till.redeem(issued.token, UUID.randomUUID().toString())
                }
                assertEquals("already_redeemed", again.code)
                assertTrue(again.reason.contains("already redeemed"), again.reason)
            }
        }
    }
}
