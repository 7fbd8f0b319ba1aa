/* Partner mode: scan a resident's voucher, see the offline verdict, redeem it online. */
package org.communityconnect.app.ui.partner

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
import org.communityconnect.app.core.VoucherCheck
import org.communityconnect.app.ui.RequirePermission
import org.communityconnect.app.ui.scan.CameraScanner
import org.communityconnect.app.ui.theme.ConnectTheme

@Composable
fun PartnerScreen(viewModel: PartnerViewModel) {
    val state by viewModel.state.collectAsStateWithLifecycle()
    RequirePermission(Manifest.permission.CAMERA, R.string.camera_needed) {
        PartnerContent(state, viewModel::redeem, viewModel::scanNext) { CameraScanner(Modifier.fillMaxSize(), viewModel::onFrame) }
    }
}

@Composable
fun PartnerContent(state: PartnerUiState, onRedeem: () -> Unit, onScanNext: () -> Unit, camera: @Composable () -> Unit) {
    Column(Modifier.fillMaxSize().padding(16.dp), verticalArrangement = Arrangement.spacedBy(12.dp)) {
        Text(stringResource(R.string.partner_mode), style = MaterialTheme.typography.titleLarge)
        when (state) {
            PartnerUiState.Scanning -> camera()
            is PartnerUiState.Checked -> {
                if (state.check.valid) {
                    Text(stringResource(R.string.voucher_points, state.check.points))
                    Button(onClick = onRedeem, enabled = !state.redeeming) { Text(stringResource(R.string.redeem)) }
                } else {
                    Text(state.check.reason ?: stringResource(R.string.voucher_invalid), color = MaterialTheme.colorScheme.error)
                }
                Button(onClick = onScanNext) { Text(stringResource(R.string.scan_again)) }
            }
            is PartnerUiState.Redeemed -> {
                Text(stringResource(R.string.redeemed, state.points))
                Button(onClick = onScanNext) { Text(stringResource(R.string.scan_again)) }
            }
            is PartnerUiState.Failed -> {
                Text(state.reason, color = MaterialTheme.colorScheme.error)
                Button(onClick = onScanNext) { Text(stringResource(R.string.scan_again)) }
            }
        }
    }
}

@Preview(showBackground = true)
@Composable
private fun PartnerPreview() = ConnectTheme {
    PartnerContent(PartnerUiState.Checked("", VoucherCheck("v1", 300, valid = true, reason = null)), {}, {}) {}
}
