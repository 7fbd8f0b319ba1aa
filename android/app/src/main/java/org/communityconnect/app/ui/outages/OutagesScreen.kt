/*
 * Outages: a schematic map (the resident at the centre, outages placed by bearing and distance)
 * and the list. A tile map (MapLibre/Google Maps) needs a key and tile server per deployment; this
 * view works offline and is the first thing to swap when one is chosen.
 */
package org.communityconnect.app.ui.outages

import android.Manifest
import androidx.compose.foundation.Canvas
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.aspectRatio
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.lazy.LazyColumn
import androidx.compose.foundation.lazy.items
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.getValue
import androidx.compose.ui.Modifier
import androidx.compose.ui.geometry.Offset
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.tooling.preview.Preview
import androidx.compose.ui.unit.dp
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import org.communityconnect.app.R
import org.communityconnect.app.core.OutageSummary
import org.communityconnect.app.platform.Fix
import org.communityconnect.app.ui.RequirePermission
import org.communityconnect.app.ui.preview.FakeCore
import org.communityconnect.app.ui.theme.ConnectTheme
import kotlin.math.cos

/** Half the map's width, in metres. */
private const val MAP_RADIUS_M = 2_000.0
private const val METRES_PER_DEGREE = 111_320.0

@Composable
fun OutagesScreen(viewModel: OutagesViewModel) {
    val state by viewModel.state.collectAsStateWithLifecycle()
    RequirePermission(Manifest.permission.ACCESS_FINE_LOCATION, R.string.location_needed) {
        LaunchedEffect(Unit) { viewModel.locate() }
        OutagesContent(state)
    }
}

@Composable
fun OutagesContent(state: OutagesUiState) {
    LazyColumn(Modifier.fillMaxSize().padding(16.dp), verticalArrangement = Arrangement.spacedBy(8.dp)) {
        if (!state.available) item { Text(stringResource(R.string.not_in_this_build)) }
        state.here.firstOrNull()?.let { item { Text(stringResource(R.string.you_are_at, it.address)) } }
        state.fix?.let { fix -> item { OutageMap(fix, state.outages) } }
        if (state.outages.isEmpty()) item { Text(stringResource(R.string.no_outages)) }
        items(state.outages, key = { it.id }) {
            Text("${it.utility}: ${it.description}", style = MaterialTheme.typography.bodyLarge)
        }
    }
}

@Composable
private fun OutageMap(fix: Fix, outages: List<OutageSummary>) {
    val me = MaterialTheme.colorScheme.primary
    val outage = MaterialTheme.colorScheme.error
    Canvas(Modifier.fillMaxWidth().aspectRatio(1f)) {
        val scale = size.minDimension / 2 / MAP_RADIUS_M
        fun place(lat: Double, lon: Double): Offset {
            val dx = (lon - fix.longitude) * METRES_PER_DEGREE * cos(Math.toRadians(fix.latitude))
            val dy = (lat - fix.latitude) * METRES_PER_DEGREE
            return center + Offset((dx * scale).toFloat(), (-dy * scale).toFloat())
        }
        outages.forEach { o ->
            val lat = o.latitude
            val lon = o.longitude
            if (lat != null && lon != null) drawCircle(outage, radius = 10.dp.toPx(), center = place(lat, lon))
        }
        drawCircle(me, radius = 6.dp.toPx(), center = center)
    }
}

@Preview(showBackground = true)
@Composable
private fun OutagesPreview() = ConnectTheme {
    OutagesContent(OutagesUiState(outages = FakeCore().community.outages.value, fix = Fix(55.75, 37.61, 10f)))
}
