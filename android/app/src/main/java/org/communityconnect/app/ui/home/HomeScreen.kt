/* Home: the phone login, or the resident's accounts with their meters and the outages nearby. */
package org.communityconnect.app.ui.home

import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.lazy.LazyColumn
import androidx.compose.foundation.lazy.items
import androidx.compose.foundation.text.KeyboardOptions
import androidx.compose.material3.Button
import androidx.compose.material3.Card
import androidx.compose.material3.LinearProgressIndicator
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.runtime.Composable
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.saveable.rememberSaveable
import androidx.compose.runtime.setValue
import androidx.compose.ui.Modifier
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.text.input.KeyboardType
import androidx.compose.ui.tooling.preview.Preview
import androidx.compose.ui.unit.dp
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import org.communityconnect.app.R
import org.communityconnect.app.ui.preview.FakeCore
import org.communityconnect.app.ui.theme.ConnectTheme

@Composable
fun HomeScreen(viewModel: HomeViewModel) {
    val state by viewModel.state.collectAsStateWithLifecycle()
    HomeContent(state, viewModel::requestCode, viewModel::verifyCode, viewModel::refresh, viewModel::logout)
}

@Composable
fun HomeContent(
    state: HomeUiState,
    onRequestCode: (String) -> Unit,
    onVerifyCode: (String, String) -> Unit,
    onRefresh: () -> Unit,
    onLogout: () -> Unit,
) {
    Column(Modifier.fillMaxSize().padding(16.dp), verticalArrangement = Arrangement.spacedBy(12.dp)) {
        if (state.busy || state.syncing) LinearProgressIndicator()
        state.error?.let { Text(it, color = MaterialTheme.colorScheme.error) }
        if (!state.loggedIn) Login(state.codeSent, onRequestCode, onVerifyCode) else Property(state, onRefresh, onLogout)
    }
}

@Composable
private fun Login(codeSent: Boolean, onRequestCode: (String) -> Unit, onVerifyCode: (String, String) -> Unit) {
    var phone by rememberSaveable { mutableStateOf("") }
    var code by rememberSaveable { mutableStateOf("") }
    Text(stringResource(R.string.login_title), style = MaterialTheme.typography.titleLarge)
    OutlinedTextField(phone, { phone = it }, label = { Text(stringResource(R.string.phone)) },
        keyboardOptions = KeyboardOptions(keyboardType = KeyboardType.Phone))
    if (!codeSent) {
        Button(onClick = { onRequestCode(phone) }) { Text(stringResource(R.string.send_code)) }
    } else {
        OutlinedTextField(code, { code = it }, label = { Text(stringResource(R.string.code)) },
            keyboardOptions = KeyboardOptions(keyboardType = KeyboardType.NumberPassword))
        Button(onClick = { onVerifyCode(phone, code) }) { Text(stringResource(R.string.log_in)) }
    }
}

@Composable
private fun Property(state: HomeUiState, onRefresh: () -> Unit, onLogout: () -> Unit) {
    LazyColumn(verticalArrangement = Arrangement.spacedBy(8.dp)) {
        item { Text(stringResource(R.string.my_property), style = MaterialTheme.typography.titleLarge) }
        if (state.accounts.isEmpty()) item { Text(stringResource(R.string.no_property)) }
        items(state.accounts.entries.toList(), key = { it.key }) { (account, meters) ->
            Card(Modifier.padding(vertical = 4.dp)) {
                Column(Modifier.padding(12.dp)) {
                    Text(stringResource(R.string.account, account.take(8)), style = MaterialTheme.typography.titleMedium)
                    meters.forEach { Text("${it.kind.name.lowercase()} · ${it.serial}") }
                }
            }
        }
        item { Text(stringResource(R.string.outages), style = MaterialTheme.typography.titleMedium) }
        if (state.outages.isEmpty()) item { Text(stringResource(R.string.no_outages)) }
        items(state.outages, key = { it.id }) { Text("${it.utility}: ${it.description}") }
        item {
            Row {
                TextButton(onClick = onRefresh) { Text(stringResource(R.string.refresh)) }
                TextButton(onClick = onLogout) { Text(stringResource(R.string.log_out)) }
            }
        }
    }
}

@Preview(showBackground = true)
@Composable
private fun HomePreview() = ConnectTheme {
    val core = FakeCore()
    HomeContent(HomeUiState(loggedIn = true, accounts = core.meters.value.groupBy { it.accountId }, outages = core.community.outages.value), {}, { _, _ -> }, {}, {})
}
