// Problem reports through the generated Kotlin bindings, against the real library and a real server
// on loopback: a report filed offline with a photo (ByteArray lists across the boundary), its public
// number after the sync, the listener's status-change event after staff act through the JSON API,
// and refusals as exceptions with stable codes. The rules themselves are tested in Rust.
package org.communityconnect.test

import kotlinx.coroutines.runBlocking
import org.communityconnect.core.AppEvent
import org.communityconnect.core.ReportDelivery
import org.communityconnect.core.ReportStatus
import org.communityconnect.core.RoundEnd
import org.communityconnect.ffi.AppConfig
import org.communityconnect.ffi.AppListener
import org.communityconnect.ffi.ConnectApp
import org.communityconnect.ffi.ConnectException
import org.junit.AfterClass
import org.junit.BeforeClass
import java.awt.Color
import java.awt.image.BufferedImage
import java.io.ByteArrayInputStream
import java.io.ByteArrayOutputStream
import java.io.File
import java.net.ServerSocket
import java.nio.file.Files
import java.util.concurrent.CopyOnWriteArrayList
import java.util.concurrent.atomic.AtomicInteger
import javax.imageio.ImageIO
import kotlin.test.Test
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertIs
import kotlin.test.assertNotNull
import kotlin.test.assertNull
import kotlin.test.assertTrue

class ReportsTest {
    companion object {
        private lateinit var server: LoopbackServer
        private val residents = AtomicInteger(0)

        @JvmStatic
        @BeforeClass
        fun startServer() {
            server = LoopbackServer.start()
        }

        @JvmStatic
        @AfterClass
        fun stopServer() {
            server.close()
        }

        /** A loopback URL where nothing listens: the phone is offline. */
        fun offlineUrl(): String = ServerSocket(0).use { "http://127.0.0.1:${it.localPort}" }

        /** A camera-sized JPEG, as a phone's camera hands it over. */
        fun cameraJpeg(width: Int = 2000, height: Int = 1500): ByteArray {
            val image = BufferedImage(width, height, BufferedImage.TYPE_INT_RGB)
            val g = image.createGraphics()
            g.color = Color(40, 90, 200)
            g.fillRect(0, 0, width, height)
            g.color = Color(230, 200, 40)
            g.fillOval(width / 4, height / 4, width / 2, height / 2)
            g.dispose()
            return ByteArrayOutputStream().also { ImageIO.write(image, "jpg", it) }.toByteArray()
        }
    }

    private val dir: File = Files.createTempDirectory("connect-reports-").toFile().apply { deleteOnExit() }
    private val key = ByteArray(32) { 9 }

    private fun open(serverUrl: String = server.baseUrl) =
        ConnectApp.open(AppConfig(File(dir, "app.db").path, serverUrl, key, listOf()))

    private class Recorder : AppListener {
        val events = CopyOnWriteArrayList<AppEvent>()
        override fun onEvent(event: AppEvent) {
            events.add(event)
        }
    }

    /** A fresh resident of building `<company>1`, logged in with its home and categories fetched. */
    private fun residentOnline(company: String): Resident {
        val n = residents.incrementAndGet()
        val resident = server.seedResident(company, "+7900007%04d".format(n))
        open().use { app ->
            app.requestCode(resident.phone)
            app.verifyCode(resident.phone, server.lastCode(resident.phone))
            app.refreshProperty()
            assertEquals(listOf("${company}1"), app.reportBuildings().map { it.id })
            assertTrue(app.reportCategories().any { it.code == "leak" })
        }
        return resident
    }

    @Test
    fun aReportFiledOfflineGetsItsNumberOnSyncAndTheListenerHearsTheStaffsStatusChange() {
        residentOnline("RP1")

        val id = open(offlineUrl()).use { app ->
            val id = app.fileReport(null, "leak", "water from the ceiling", "entrance 1, floor 3", listOf(cameraJpeg()))
            assertIs<RoundEnd.WillRetry>(runBlocking { app.syncNow() })
            val queued = assertNotNull(app.report(id))
            assertEquals(ReportDelivery.QUEUED, queued.delivery)
            assertNull(queued.number)
            // The photo was downscaled on the device before it was queued.
            val photo = ImageIO.read(ByteArrayInputStream(assertNotNull(app.reportPhoto(id, 0u))))
            assertEquals(1600 to 1200, photo.width to photo.height)
            id
        }

        open().use { app ->
            val recorder = Recorder()
            app.setListener(recorder)
            assertEquals(RoundEnd.Synced, runBlocking { app.syncNow() })
            val filed = assertNotNull(app.report(id))
            assertEquals(ReportDelivery.FILED, filed.delivery)
            val number = assertNotNull(filed.number)
            assertTrue(Regex("\\d{4}-\\d{6}").matches(number), number)
            assertTrue(filed.contentVerified)
            assertTrue(recorder.events.contains(AppEvent.ReportFiled(id, number, true)))

            val staff = server.staffLogin("RP1", "+79000079001")
            server.changeReportStatus(staff, id, "accept", "on our way")
            assertEquals(RoundEnd.Synced, runBlocking { app.syncNow() })
            val changed = recorder.events.filterIsInstance<AppEvent.ReportStatusChanged>().single()
            assertEquals(id, changed.id)
            assertEquals(number, changed.number)
            assertEquals(ReportStatus.ACCEPTED, changed.status)
            assertEquals("on our way", changed.message)
            val listed = app.reports().single()
            assertEquals(ReportStatus.ACCEPTED, listed.status)
            assertEquals(listOf(ReportStatus.ACCEPTED), listed.events.mapNotNull { it.status })
        }
    }

    @Test
    fun refusalsOnTheDeviceAreRejectionsWithStableCodesAndAnUnknownReportIsNotFound() {
        residentOnline("RP2")
        open(offlineUrl()).use { app ->
            val six = List(6) { cameraJpeg(64, 48) }
            assertEquals("too_many_photos", assertFailsWith<ConnectException.Rejected> {
                app.fileReport(null, "leak", "water", "hall", six)
            }.code)
            assertEquals("unreadable_photo", assertFailsWith<ConnectException.Rejected> {
                app.fileReport(null, "leak", "water", "hall", listOf("not a photo".toByteArray()))
            }.code)
            assertEquals("unknown_category", assertFailsWith<ConnectException.Rejected> {
                app.fileReport(null, "teleporter", "water", "hall", listOf())
            }.code)
            assertFailsWith<ConnectException.NotFound> {
                app.rateReport("0190a000-0000-7000-8000-000000000000", 5u, null)
            }
            // Nothing refused was stored; a valid filing is.
            assertTrue(app.reports().isEmpty())
            val id = app.fileReport("RP21", "lift", "stuck between floors", "entrance 2", listOf())
            assertEquals(listOf(id), app.reports().map { it.id })
            // Rating needs a filed, resolved report.
            assertFailsWith<ConnectException.NotFound> { app.rateReport(id, 5u, null) }
        }
    }
}
