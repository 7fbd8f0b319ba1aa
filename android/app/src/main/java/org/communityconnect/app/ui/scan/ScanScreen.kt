/* Scan: the camera while scanning, then the verified building or the reason a code was refused. */
package org.communityconnect.app.ui.scan

import android.Manifest
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.padding
import androidx.compose.material3.Button
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.runtime.getValue
import androidx.compose.ui.Modifier
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.tooling.preview.Preview
import androidx.compose.ui.unit.dp
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import org.communityconnect.app.R
import org.communityconnect.app.ui.RequirePermission
import org.communityconnect.app.ui.theme.ConnectTheme

@Composable
fun ScanScreen(viewModel: ScanViewModel) {
    val state by viewModel.state.collectAsStateWithLifecycle()
    RequirePermission(Manifest.permission.CAMERA, R.string.camera_needed) {
        ScanContent(state, viewModel::scanAgain) { CameraScanner(Modifier.fillMaxSize(), viewModel::onFrame) }
    }
}

@Composable
fun ScanContent(state: ScanUiState, onScanAgain: () -> Unit, camera: @Composable () -> Unit) {
    Column(Modifier.fillMaxSize().padding(16.dp), verticalArrangement = Arrangement.spacedBy(12.dp)) {
        when (state) {
            ScanUiState.Scanning -> {
                Text(stringResource(R.string.scan_hint))
                camera()
            }
            is ScanUiState.Building -> {
                Text(stringResource(R.string.sticker_genuine), style = MaterialTheme.typography.titleLarge)
                Text(stringResource(R.string.building, state.buildingId))
                Button(onClick = onScanAgain) { Text(stringResource(R.string.scan_again)) }
            }
            is ScanUiState.Refused -> {
                Text(stringResource(R.string.sticker_refused), style = MaterialTheme.typography.titleLarge)
                Text(state.reason, color = MaterialTheme.colorScheme.error)
                Button(onClick = onScanAgain) { Text(stringResource(R.string.scan_again)) }
            }
        }
    }
}

@Preview(showBackground = true)
@Composable
private fun RefusedPreview() = ConnectTheme {
    ScanContent(ScanUiState.Refused("This sticker is for another server; the app does not open it."), {}) {}
}
