/*
 * One fused-location fix, handed to core's building lookup as plain coordinates. The caller holds
 * the location permission; without it this returns null.
 */
package org.communityconnect.app.platform

import android.annotation.SuppressLint
import android.content.Context
import com.google.android.gms.location.LocationServices
import com.google.android.gms.location.Priority
import com.google.android.gms.tasks.CancellationTokenSource
import kotlinx.coroutines.tasks.await

data class Fix(val latitude: Double, val longitude: Double, val accuracyMeters: Float)

class LocationProvider(context: Context) {
    private val client = LocationServices.getFusedLocationProviderClient(context)

    @SuppressLint("MissingPermission") // checked by the screen before calling
    suspend fun currentFix(): Fix? = try {
        client.getCurrentLocation(Priority.PRIORITY_HIGH_ACCURACY, CancellationTokenSource().token).await()
            ?.let { Fix(it.latitude, it.longitude, it.accuracy) }
    } catch (e: SecurityException) {
        null
    }
}
