/*
 * Process start: the database key from the Keystore, the one Core, periodic sync and the
 * notification channel. Screens reach the Core through [ConnectApplication.core].
 */
package org.communityconnect.app

import android.app.Application
import androidx.work.Configuration
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
    }
}
