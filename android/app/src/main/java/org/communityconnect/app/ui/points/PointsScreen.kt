/* Points: balance, offers to exchange points for, and the voucher QR shown to a partner's cashier. */
package org.communityconnect.app.ui.points

import androidx.compose.foundation.Image
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.lazy.LazyColumn
import androidx.compose.foundation.lazy.items
import androidx.compose.material3.Button
import androidx.compose.material3.Card
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.runtime.Composable
import androidx.compose.runtime.getValue
import androidx.compose.runtime.remember
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.graphics.asImageBitmap
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.tooling.preview.Preview
import androidx.compose.ui.unit.dp
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import org.communityconnect.app.R
import org.communityconnect.app.core.Voucher
import org.communityconnect.app.ui.preview.FakeCore
import org.communityconnect.app.ui.theme.ConnectTheme
import java.text.DateFormat
import java.util.Date

@Composable
fun PointsScreen(viewModel: PointsViewModel) {
    val state by viewModel.state.collectAsStateWithLifecycle()
    PointsContent(state, viewModel::createVoucher, viewModel::closeVoucher)
}

@Composable
fun PointsContent(state: PointsUiState, onCreateVoucher: (String) -> Unit, onCloseVoucher: () -> Unit) {
    state.voucher?.let { return VoucherView(it, onCloseVoucher) }
    LazyColumn(Modifier.fillMaxSize().padding(16.dp), verticalArrangement = Arrangement.spacedBy(8.dp)) {
        if (!state.available) item { Text(stringResource(R.string.not_in_this_build)) }
        item { Text(stringResource(R.string.balance, state.balance), style = MaterialTheme.typography.headlineSmall) }
        state.message?.let { item { Text(it, color = MaterialTheme.colorScheme.error) } }
        items(state.offers, key = { it.id }) { offer ->
            Card(Modifier.fillMaxWidth()) {
                Column(Modifier.padding(12.dp)) {
                    Text(offer.title, style = MaterialTheme.typography.titleSmall)
                    Text(stringResource(R.string.offer_line, offer.partner, offer.points))
                    Button(onClick = { onCreateVoucher(offer.id) }, enabled = state.balance >= offer.points) {
                        Text(stringResource(R.string.get_voucher))
                    }
                }
            }
        }
    }
}

@Composable
private fun VoucherView(voucher: Voucher, onClose: () -> Unit) {
    val bitmap = remember(voucher.payload) { voucherQrBitmap(voucher.payload, 768).asImageBitmap() }
    Column(Modifier.fillMaxSize().padding(24.dp), horizontalAlignment = Alignment.CenterHorizontally, verticalArrangement = Arrangement.spacedBy(12.dp)) {
        Text(stringResource(R.string.voucher_points, voucher.points), style = MaterialTheme.typography.headlineSmall)
        Image(bitmap, contentDescription = stringResource(R.string.voucher_qr), modifier = Modifier.fillMaxWidth())
        Text(stringResource(R.string.valid_until, DateFormat.getDateTimeInstance().format(Date(voucher.expiresAtMillis))))
        TextButton(onClick = onClose) { Text(stringResource(R.string.close)) }
    }
}

@Preview(showBackground = true)
@Composable
private fun PointsPreview() = ConnectTheme {
    val community = FakeCore().community
    PointsContent(PointsUiState(balance = community.pointsBalance.value, offers = community.offers.value), {}, {})
}
