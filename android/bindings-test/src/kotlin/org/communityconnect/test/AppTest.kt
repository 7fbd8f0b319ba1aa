// ConnectApp through the generated Kotlin bindings, against the real library and a real server on
// loopback: what the bindings add (exceptions, the suspend sync, listener callbacks from Rust
// threads, object lifetimes) on the flows the screens use. Business rules are tested in Rust.
package org.communityconnect.test

import kotlinx.coroutines.runBlocking
import org.communityconnect.core.AppEvent
import org.communityconnect.core.ReadingFilter
import org.communityconnect.core.ReadingState
import org.communityconnect.core.RoundEnd
import org.communityconnect.core.Tariff
import org.communityconnect.core.TariffValue
import org.communityconnect.ffi.AppConfig
import org.communityconnect.ffi.AppListener
import org.communityconnect.ffi.ConnectApp
import org.communityconnect.ffi.ConnectException
import org.junit.AfterClass
import org.junit.Assume.assumeTrue
import org.junit.BeforeClass
import java.io.File
import java.net.ServerSocket
import java.nio.file.Files
import java.util.concurrent.CopyOnWriteArrayList
import java.util.concurrent.atomic.AtomicInteger
import kotlin.test.Test
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertIs
import kotlin.test.assertTrue

class AppTest {
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
    }

    private val dir: File = Files.createTempDirectory("connect-app-").toFile().apply { deleteOnExit() }
    private val key = ByteArray(32) { 7 }

    private fun open(serverUrl: String = server.baseUrl, dbKey: ByteArray = key) =
        ConnectApp.open(AppConfig(File(dir, "app.db").path, serverUrl, dbKey, listOf()))

    /** A fresh resident with one meter, logged in on a fresh app through the real SMS flow. */
    private fun loggedInResident(): Pair<ConnectApp, Resident> {
        val n = residents.incrementAndGet()
        val resident = server.seedResident("K$n", "+7900000%04d".format(n))
        val app = open()
        app.requestCode(resident.phone)
        app.verifyCode(resident.phone, server.lastCode(resident.phone))
        return app to resident
    }

    private fun value(v: String) = listOf(TariffValue(Tariff.SINGLE, v))

    private class Recorder : AppListener {
        val events = CopyOnWriteArrayList<AppEvent>()
        override fun onEvent(event: AppEvent) {
            events.add(event)
        }
    }

    @Test
    fun aResidentLogsInWithTheSmsCodeAndGetsTheirMeters() {
        val (app, resident) = loggedInResident()
        app.use {
            assertTrue(it.isLoggedIn())
            val meters = it.refreshProperty()
            assertEquals(listOf(resident.meterId), meters.map { m -> m.id })
            assertEquals(meters, it.meters())
        }
    }

    @Test
    fun aWrongSmsCodeIsARejectionWithTheServersReason() {
        val n = residents.incrementAndGet()
        val resident = server.seedResident("K$n", "+7900000%04d".format(n))
        open().use { app ->
            app.requestCode(resident.phone)
            val wrong = if (server.lastCode(resident.phone) == "000000") "111111" else "000000"
            val e = assertFailsWith<ConnectException.Rejected> { app.verifyCode(resident.phone, wrong) }
            assertEquals("invalid_code", e.code)
            assertTrue(!app.isLoggedIn())
        }
    }

    @Test
    fun aReadingBelowThePreviousOneIsAnExceptionAndStaysListedWithItsReason() {
        val (app, resident) = loggedInResident()
        app.use {
            it.refreshProperty()
            val first = it.submitReading(resident.meterId, value("120.500"), System.currentTimeMillis(), false)
            val e = assertFailsWith<ConnectException.Rejected> {
                it.submitReading(resident.meterId, value("100.000"), System.currentTimeMillis(), false)
            }
            assertEquals("below_previous", e.code)
            assertTrue(e.reason.isNotBlank())
            val rejected = it.readings(ReadingFilter.REJECTED).single()
            assertEquals("100.000", rejected.reading.values.single().value)
            assertEquals(e.reason, rejected.rejection?.message)
            // The first reading is kept: still queued, or already accepted by the sync its write
            // triggered. One ALL query, so a reading cannot move between two lists mid-check.
            val kept = it.readings(ReadingFilter.ALL).filter { r -> r.rejection == null }
            assertEquals(listOf(first), kept.map { r -> r.reading.id })
        }
    }

    @Test
    fun anAccountCodeFromTheBillIsClaimedOnceAndBringsItsMeters() {
        val n = residents.incrementAndGet()
        val owner = server.seedResident("K$n", "+7900000%04d".format(n))
        val staff = server.staffLogin("K$n", "+7900100%04d".format(n))
        val code = server.issueAccountCode(staff, owner.accountId)
        // A new tenant of the flat: logged in, not yet linked to anything.
        val phone = "+7900200%04d".format(n)
        open().use { app ->
            app.requestCode(phone)
            app.verifyCode(phone, server.lastCode(phone))
            val notACode = assertFailsWith<ConnectException.Rejected> {
                app.claimAccount("https://example.org/p/AAAA")
            }
            assertEquals("invalid_account_code", notACode.code)
            val claimed = app.claimAccount(code)
            assertEquals(owner.accountId, claimed.accountId)
            assertEquals("K$n street 1", claimed.address)
            assertEquals(listOf(owner.meterId), claimed.meters.map { it.id })
            assertTrue(app.meters().any { it.id == owner.meterId }, "the meter is on the device")
            val again = assertFailsWith<ConnectException.Rejected> { app.claimAccount(code) }
            assertEquals("already_claimed", again.code)
        }
    }

    @Test
    fun anUnknownMeterIsNotFound() {
        val (app, _) = loggedInResident()
        app.use {
            assertFailsWith<ConnectException.NotFound> {
                it.submitReading("0190a000-0000-7000-8000-000000000000", value("1"), System.currentTimeMillis(), false)
            }
        }
    }

    @Test
    fun readingsSubmittedOfflineAreAcceptedOnTheNextSyncAndTheListenerHearsIt() {
        val (online, resident) = loggedInResident()
        online.use { it.refreshProperty() }

        // Offline: the same database, a server that does not answer.
        val queued = open(offlineUrl()).use { app ->
            val ids = listOf("10.000", "11.250").map { v ->
                app.submitReading(resident.meterId, value(v), System.currentTimeMillis(), false)
            }
            assertEquals(ids.toSet(), app.readings(ReadingFilter.QUEUED).map { it.reading.id }.toSet())
            assertIs<RoundEnd.WillRetry>(runBlocking { app.syncNow() })
            assertEquals(2, app.readings(ReadingFilter.QUEUED).size, "nothing is lost offline")
            ids
        }

        // The upload endpoint arrives with the readings server; until a server has it, the online
        // half is skipped with this reason (JUnit reports it), never passed.
        val uploads = server.hasRoute("/v1/readings:batch")
        if (!uploads) println("SKIPPED online half: this connect-server has no POST /v1/readings:batch yet")
        assumeTrue("this connect-server has no POST /v1/readings:batch yet", uploads)
        open().use { app ->
            val recorder = Recorder()
            app.setListener(recorder)
            assertEquals(RoundEnd.Synced, runBlocking { app.syncNow() })
            val accepted = app.readings(ReadingFilter.ACCEPTED)
            assertEquals(queued.toSet(), accepted.map { it.reading.id }.toSet())
            assertTrue(accepted.all { it.state == ReadingState.ACCEPTED && it.receivedAt != null })
            assertTrue(app.readings(ReadingFilter.QUEUED).isEmpty())
            val heard = recorder.events.filterIsInstance<AppEvent.ReadingAccepted>().map { it.id }
            assertEquals(queued.toSet(), heard.toSet())
            assertTrue(recorder.events.contains(AppEvent.SyncFinished(RoundEnd.Synced)))
        }
    }

    @Test
    fun aListenerThatThrowsDoesNotBreakTheApp() {
        open(offlineUrl()).use { app ->
            val calls = AtomicInteger(0)
            app.setListener(object : AppListener {
                override fun onEvent(event: AppEvent) {
                    calls.incrementAndGet()
                    throw IllegalStateException("a bug in the shell")
                }
            })
            assertEquals(RoundEnd.Synced, runBlocking { app.syncNow() })
            assertTrue(calls.get() >= 1)
            val recorder = Recorder()
            app.setListener(recorder)
            assertEquals(RoundEnd.Synced, runBlocking { app.syncNow() })
            assertTrue(recorder.events.contains(AppEvent.SyncFinished(RoundEnd.Synced)))
        }
    }

    @Test
    fun anotherDatabaseKeyIsAWrongKeyException() {
        open(offlineUrl()).close()
        assertFailsWith<ConnectException.WrongKey> { open(offlineUrl(), ByteArray(32) { 8 }) }
        open(offlineUrl()).close()
    }

    @Test
    fun loggedOutCallsAskForLoginAndOfflineCallsAreNetworkErrors() {
        open(offlineUrl()).use { app ->
            assertFailsWith<ConnectException.NeedsLogin> { app.refreshProperty() }
            assertFailsWith<ConnectException.Network> { app.requestCode("+79000009999") }
        }
    }
}
