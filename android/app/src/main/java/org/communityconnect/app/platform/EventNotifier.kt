/*
 * Turns core's listener events into system notifications (rejected readings, session expired).
 * Posting needs POST_NOTIFICATIONS on Android 13+; MainActivity asks for it, and without it this
 * stays silent rather than failing.
 */
package org.communityconnect.app.platform

import android.Manifest
import android.app.NotificationChannel
import android.app.NotificationManager
import android.content.Context
import android.content.pm.PackageManager
import android.os.Build
import androidx.core.app.NotificationCompat
import androidx.core.app.NotificationManagerCompat
import androidx.core.content.ContextCompat
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.launch
import org.communityconnect.app.R
import org.communityconnect.app.core.CoreApi
import org.communityconnect.core.AppEvent

class EventNotifier(private val context: Context, private val core: CoreApi) {
    private val scope = CoroutineScope(SupervisorJob() + Dispatchers.Main)

    fun start() {
        val channel = NotificationChannel(CHANNEL, context.getString(R.string.notification_channel), NotificationManager.IMPORTANCE_DEFAULT)
        context.getSystemService(NotificationManager::class.java).createNotificationChannel(channel)
        scope.launch { core.events.collect(::notify) }
    }

    private fun notify(event: AppEvent) {
        val (id, title, text) = when (event) {
            is AppEvent.ReadingRejected -> Triple(event.id.hashCode(), context.getString(R.string.reading_rejected), event.message)
            is AppEvent.SessionExpired -> Triple(SESSION_ID, context.getString(R.string.session_expired), context.getString(R.string.session_expired_text))
            else -> return
        }
        if (Build.VERSION.SDK_INT >= Build.VERSION_CODES.TIRAMISU &&
            ContextCompat.checkSelfPermission(context, Manifest.permission.POST_NOTIFICATIONS) != PackageManager.PERMISSION_GRANTED
        ) return
        val notification = NotificationCompat.Builder(context, CHANNEL)
            .setSmallIcon(android.R.drawable.stat_notify_sync)
            .setContentTitle(title)
            .setContentText(text)
            .setAutoCancel(true)
            .build()
        NotificationManagerCompat.from(context).notify(id, notification)
    }

    private companion object {
        const val CHANNEL = "events"
        const val SESSION_ID = 1
    }
}
