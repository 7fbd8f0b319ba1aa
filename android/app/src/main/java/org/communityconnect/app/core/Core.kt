/*
 * The one repository over the Rust core: owns the generated ConnectApp, turns its blocking calls
 * into suspend calls on the IO dispatcher and its listener events into flows. No rules live here;
 * validation, queueing and sync are core's.
 */
package org.communityconnect.app.core

import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.flow.MutableSharedFlow
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.SharedFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.launch
import kotlinx.coroutines.withContext
import org.communityconnect.core.AppEvent
import org.communityconnect.core.Meter
import org.communityconnect.core.ReadingFilter
import org.communityconnect.core.ReadingItem
import org.communityconnect.core.RoundEnd
import org.communityconnect.core.TariffValue
import org.communityconnect.ffi.AppConfig
import org.communityconnect.ffi.AppListener
import org.communityconnect.ffi.ConnectApp
import org.communityconnect.ffi.ConnectException
import org.communityconnect.ffi.DecodedCode
import org.communityconnect.ffi.StickerScanException
import org.communityconnect.ffi.decodeFrame as ffiDecodeFrame

class Core(
    dbPath: String,
    serverUrl: String,
    dbKey: ByteArray,
    trustedKeys: List<String>,
) : CoreApi {
    private val app: ConnectApp = ConnectApp.open(AppConfig(dbPath, serverUrl, dbKey, trustedKeys))
    private val scope = CoroutineScope(SupervisorJob() + Dispatchers.IO)
    private val _community = CoreCommunity(app)
    override val community: CommunityFeatures = _community

    private val _loggedIn = MutableStateFlow(app.isLoggedIn())
    private val _meters = MutableStateFlow(app.meters())
    private val _readings = MutableStateFlow(app.readings(ReadingFilter.ALL))
    private val _syncing = MutableStateFlow(false)
    private val _events = MutableSharedFlow<AppEvent>(extraBufferCapacity = 64)

    override val loggedIn: StateFlow<Boolean> = _loggedIn
    override val meters: StateFlow<List<Meter>> = _meters
    override val readings: StateFlow<List<ReadingItem>> = _readings
    override val syncing: StateFlow<Boolean> = _syncing
    override val events: SharedFlow<AppEvent> = _events

    init {
        app.setListener(Listener())
        scope.launch { _community.reload() }
    }

    /*
     * Callbacks arrive on core's runtime threads, which must not call back into the app's
     * blocking methods: re-reading the store is handed to our own scope.
     */
    private inner class Listener : AppListener {
        override fun onEvent(event: AppEvent) {
            _events.tryEmit(event)
            when (event) {
                is AppEvent.SyncStarted -> _syncing.value = true
                is AppEvent.SyncFinished -> {
                    _syncing.value = false
                    if (event.end is RoundEnd.NeedsLogin) _loggedIn.value = false
                    scope.launch { reloadLocal() }
                }
                is AppEvent.SessionExpired -> _loggedIn.value = false
                is AppEvent.ReadingAccepted, is AppEvent.ReadingRejected, is AppEvent.SyncProgress ->
                    scope.launch { reloadLocal() }
                // Reports, outages and points: the screens re-read core's store.
                else -> scope.launch { _community.reload() }
            }
        }
    }

    private fun reloadLocal() {
        _meters.value = app.meters()
        _readings.value = app.readings(ReadingFilter.ALL)
        _community.reload()
    }

    override suspend fun requestCode(phone: String) = withContext(Dispatchers.IO) { app.requestCode(phone) }

    override suspend fun verifyCode(phone: String, code: String) = withContext(Dispatchers.IO) {
        app.verifyCode(phone, code)
        _loggedIn.value = true
        refreshProperty()
        _community.refresh()
    }

    override suspend fun logout() = withContext(Dispatchers.IO) {
        app.logout()
        _loggedIn.value = false
    }

    override suspend fun refreshProperty() = withContext(Dispatchers.IO) {
        _meters.value = app.refreshProperty()
    }

    override suspend fun submitReading(
        meterId: String,
        values: List<TariffValue>,
        takenAtMillis: Long,
        confirmedJump: Boolean,
    ): SubmitOutcome = withContext(Dispatchers.IO) {
        try {
            SubmitOutcome.Queued(app.submitReading(meterId, values, takenAtMillis, confirmedJump))
        } catch (e: ConnectException.Rejected) {
            SubmitOutcome.Rejected(e.code, e.reason)
        } catch (e: ConnectException.NeedsConfirmation) {
            SubmitOutcome.NeedsConfirmation(e.reason)
        } finally {
            // A rejected reading is stored too: the list shows it with its reason.
            _readings.value = app.readings(ReadingFilter.ALL)
        }
    }

    override suspend fun syncNow() {
        app.syncNow()
    }

    override fun connectivityRegained() = app.connectivityRegained()

    override fun decodeFrame(luma: ByteArray, width: Int, height: Int, rowStride: Int): List<DecodedCode> =
        ffiDecodeFrame(luma, width.toUInt(), height.toUInt(), rowStride.toUInt())

    override fun verifySticker(text: String): StickerOutcome = try {
        StickerOutcome.Opened(app.verifySticker(text))
    } catch (e: StickerScanException) {
        // Core's messages are already written for the resident (wrong host, forged, update the app).
        StickerOutcome.Refused(e.residentMessage())
    }
}
