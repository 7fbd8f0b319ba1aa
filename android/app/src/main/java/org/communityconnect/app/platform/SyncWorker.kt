/*
 * Background sync through WorkManager: a periodic job, and a one-off job constrained on a network
 * connection, which is how "connectivity regained" reaches core while the app is in the background.
 * Backoff between failed rounds is core's; WorkManager only decides when the process gets to run.
 */
package org.communityconnect.app.platform

import android.content.Context
import androidx.work.Constraints
import androidx.work.CoroutineWorker
import androidx.work.ExistingPeriodicWorkPolicy
import androidx.work.ExistingWorkPolicy
import androidx.work.NetworkType
import androidx.work.OneTimeWorkRequestBuilder
import androidx.work.PeriodicWorkRequestBuilder
import androidx.work.WorkManager
import androidx.work.WorkerParameters
import org.communityconnect.app.ConnectApplication
import org.communityconnect.ffi.ConnectException
import java.util.concurrent.TimeUnit

class SyncWorker(context: Context, params: WorkerParameters) : CoroutineWorker(context, params) {

    override suspend fun doWork(): Result {
        val core = (applicationContext as ConnectApplication).core
        if (tags.contains(TAG_CONNECTIVITY)) core.connectivityRegained()
        return try {
            core.syncNow()
            Result.success()
        } catch (e: ConnectException.Network) {
            Result.retry()
        } catch (e: ConnectException.NeedsLogin) {
            // Nothing to do until the resident logs in; the queue is kept.
            Result.success()
        }
    }

    companion object {
        private const val PERIODIC = "connect.sync.periodic"
        private const val ON_NETWORK = "connect.sync.on-network"
        private const val TAG_CONNECTIVITY = "connectivity"

        private val online = Constraints.Builder().setRequiredNetworkType(NetworkType.CONNECTED).build()

        fun schedule(context: Context) {
            val work = WorkManager.getInstance(context)
            work.enqueueUniquePeriodicWork(
                PERIODIC,
                ExistingPeriodicWorkPolicy.KEEP,
                PeriodicWorkRequestBuilder<SyncWorker>(1, TimeUnit.HOURS).setConstraints(online).build(),
            )
            syncWhenOnline(context)
        }

        /** Runs once as soon as there is a network; call again after a write made offline. */
        fun syncWhenOnline(context: Context) {
            WorkManager.getInstance(context).enqueueUniqueWork(
                ON_NETWORK,
                ExistingWorkPolicy.KEEP,
                OneTimeWorkRequestBuilder<SyncWorker>().setConstraints(online).addTag(TAG_CONNECTIVITY).build(),
            )
        }
    }
}
