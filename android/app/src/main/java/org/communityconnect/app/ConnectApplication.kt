/*
 * Process start: the database key from the Keystore, the one Core, periodic sync and the
 * notification channel. Screens reach the Core through [ConnectApplication.core].
 */
package org.communityconnect.app

import android.app.Application
import androidx.work.Configuration
import kotlinx.coroutines.MainScope
import kotlinx.coroutines.flow.distinctUntilChanged
import kotlinx.coroutines.flow.filter
import kotlinx.coroutines.flow.map
import kotlinx.coroutines.launch
import org.communityconnect.core.ReadingState
import org.communityconnect.app.core.Core
import org.communityconnect.app.core.CoreApi
import org.communityconnect.app.platform.EventNotifier
import org.communityconnect.app.platform.KeyStoreKeyProvider
import org.communityconnect.app.platform.SyncWorker
import java.io.File

class ConnectApplication : Application(), Configuration.Provider {
    lateinit var core: CoreApi
        private set

    override val workManagerConfiguration: Configuration
        get() = Configuration.Builder().build()

    override fun onCreate() {
        super.onCreate()
        val key = KeyStoreKeyProvider(File(noBackupFilesDir, "db.key.wrapped")).databaseKey()
        core = Core(
            dbPath = File(noBackupFilesDir, "connect.sqlite").absolutePath,
            serverUrl = BuildConfig.SERVER_URL,
            dbKey = key,
            trustedKeys = BuildConfig.TRUSTED_KEYS.split(',').map { it.trim() }.filter { it.isNotEmpty() },
        )
        EventNotifier(this, core).start()
        SyncWorker.schedule(this)
        // A write made offline must reach the server even if the process dies before the network
        // returns: while anything is queued, keep a one-off job waiting for connectivity.
        MainScope().launch {
            core.readings.map { items -> items.any { it.state == ReadingState.QUEUED } }
                .distinctUntilChanged()
                .filter { it }
                .collect { SyncWorker.syncWhenOnline(this@ConnectApplication) }
        }
    }
}
