/* Readings: one form per meter (a field per tariff), then the queue and the rejected with reasons. */
package org.communityconnect.app.ui.readings

import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.lazy.LazyColumn
import androidx.compose.foundation.lazy.items
import androidx.compose.foundation.text.KeyboardOptions
import androidx.compose.material3.AlertDialog
import androidx.compose.material3.Button
import androidx.compose.material3.Card
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.runtime.Composable
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateMapOf
import androidx.compose.runtime.remember
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.text.input.KeyboardType
import androidx.compose.ui.tooling.preview.Preview
import androidx.compose.ui.unit.dp
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import org.communityconnect.app.R
import org.communityconnect.app.ui.preview.FakeCore
import org.communityconnect.app.ui.theme.ConnectTheme
import org.communityconnect.core.Meter
import org.communityconnect.core.ReadingItem
import org.communityconnect.core.ReadingState

@Composable
fun ReadingsScreen(viewModel: ReadingsViewModel) {
    val state by viewModel.state.collectAsStateWithLifecycle()
    ReadingsContent(state, viewModel::submit, viewModel::confirmJump, viewModel::dismissConfirmation, viewModel::syncNow)
}

@Composable
fun ReadingsContent(
    state: ReadingsUiState,
    onSubmit: (String, Map<String, String>, Boolean) -> Unit,
    onConfirmJump: () -> Unit,
    onDismiss: () -> Unit,
    onSyncNow: () -> Unit,
) {
    state.confirmation?.let {
        AlertDialog(
            onDismissRequest = onDismiss,
            title = { Text(stringResource(R.string.jump_title)) },
            text = { Text(it.reason) },
            confirmButton = { TextButton(onClick = onConfirmJump) { Text(stringResource(R.string.jump_confirm)) } },
            dismissButton = { TextButton(onClick = onDismiss) { Text(stringResource(R.string.jump_fix)) } },
        )
    }
    LazyColumn(Modifier.fillMaxSize().padding(16.dp), verticalArrangement = Arrangement.spacedBy(8.dp)) {
        state.message?.let { item { Text(it, color = MaterialTheme.colorScheme.error) } }
        items(state.meters, key = { it.id }) { MeterForm(it) { values -> onSubmit(it.id, values, false) } }
        item {
            Row(verticalAlignment = Alignment.CenterVertically) {
                Text(stringResource(R.string.queue, state.queued.size), style = MaterialTheme.typography.titleMedium)
                TextButton(onClick = onSyncNow, enabled = !state.syncing) { Text(stringResource(R.string.sync_now)) }
            }
        }
        items(state.queued, key = { it.reading.id }) { ReadingRow(it) }
        item { Text(stringResource(R.string.rejected), style = MaterialTheme.typography.titleMedium) }
        items(state.rejected, key = { it.reading.id }) { ReadingRow(it) }
    }
}

@Composable
private fun MeterForm(meter: Meter, onSubmit: (Map<String, String>) -> Unit) {
    val values = remember(meter.id) { mutableStateMapOf<String, String>() }
    Card {
        Column(Modifier.padding(12.dp), verticalArrangement = Arrangement.spacedBy(6.dp)) {
            Text("${meter.kind.name.lowercase()} · ${meter.serial}", style = MaterialTheme.typography.titleSmall)
            meter.nextVerificationOn?.let { Text(stringResource(R.string.verification_due, it)) }
            meter.tariffs.forEach { tariff ->
                OutlinedTextField(
                    value = values[tariff.name] ?: "",
                    onValueChange = { values[tariff.name] = it },
                    label = { Text(tariff.name.lowercase()) },
                    keyboardOptions = KeyboardOptions(keyboardType = KeyboardType.Decimal),
                )
            }
            Button(onClick = { onSubmit(values.toMap()) }, enabled = values.size == meter.tariffs.size) {
                Text(stringResource(R.string.submit))
            }
        }
    }
}

@Composable
private fun ReadingRow(item: ReadingItem) {
    Column {
        Text(item.reading.values.joinToString { "${it.tariff.name.lowercase()} ${it.value}" })
        when (item.state) {
            ReadingState.REJECTED -> item.rejection?.let { Text(it.message, color = MaterialTheme.colorScheme.error) }
            ReadingState.QUEUED -> item.lastError?.let { Text(stringResource(R.string.will_retry, it)) }
            ReadingState.ACCEPTED -> if (item.late) Text(stringResource(R.string.accepted_late))
        }
    }
}

@Preview(showBackground = true)
@Composable
private fun ReadingsPreview() = ConnectTheme {
    val core = FakeCore()
    ReadingsContent(
        ReadingsUiState(meters = core.meters.value, rejected = core.readings.value, confirmation = null),
        { _, _, _ -> }, {}, {}, {},
    )
}
