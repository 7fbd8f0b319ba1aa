/* Reports: file a problem with photos, follow its status, rate it once resolved. */
package org.communityconnect.app.ui.reports

import android.net.Uri
import androidx.activity.compose.rememberLauncherForActivityResult
import androidx.activity.result.PickVisualMediaRequest
import androidx.activity.result.contract.ActivityResultContracts
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.lazy.LazyColumn
import androidx.compose.foundation.lazy.LazyRow
import androidx.compose.foundation.lazy.items
import androidx.compose.material3.Button
import androidx.compose.material3.Card
import androidx.compose.material3.FilterChip
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.runtime.Composable
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.remember
import androidx.compose.runtime.saveable.rememberSaveable
import androidx.compose.runtime.setValue
import androidx.compose.ui.Modifier
import androidx.compose.ui.platform.LocalContext
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.tooling.preview.Preview
import androidx.compose.ui.unit.dp
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import org.communityconnect.app.R
import org.communityconnect.app.core.ReportSummary
import org.communityconnect.app.ui.preview.FakeCore
import org.communityconnect.app.ui.theme.ConnectTheme

private const val MAX_PHOTOS = 5

@Composable
fun ReportsScreen(viewModel: ReportsViewModel) {
    val state by viewModel.state.collectAsStateWithLifecycle()
    val resolver = LocalContext.current.contentResolver
    ReportsContent(
        state,
        onFile = { category, text, place, photos ->
            viewModel.file(category, text, place, photos.mapNotNull { uri -> resolver.openInputStream(uri)?.use { it.readBytes() } })
        },
        onRate = viewModel::rate,
    )
}

@Composable
fun ReportsContent(
    state: ReportsUiState,
    onFile: (category: String, text: String, place: String, photos: List<Uri>) -> Unit,
    onRate: (String, Int) -> Unit,
) {
    var category by rememberSaveable { mutableStateOf<String?>(null) }
    var description by rememberSaveable { mutableStateOf("") }
    var place by rememberSaveable { mutableStateOf("") }
    var photos by remember { mutableStateOf(emptyList<Uri>()) }
    val picker = rememberLauncherForActivityResult(ActivityResultContracts.PickMultipleVisualMedia(MAX_PHOTOS)) { photos = it }

    LazyColumn(Modifier.fillMaxSize().padding(16.dp), verticalArrangement = Arrangement.spacedBy(8.dp)) {
        if (!state.available) item { Text(stringResource(R.string.not_in_this_build)) }
        state.message?.let { item { Text(it, color = MaterialTheme.colorScheme.error) } }
        item {
            Column(verticalArrangement = Arrangement.spacedBy(6.dp)) {
                Text(stringResource(R.string.new_report), style = MaterialTheme.typography.titleMedium)
                Text(stringResource(R.string.report_title))
                LazyRow(horizontalArrangement = Arrangement.spacedBy(6.dp)) {
                    items(state.categories, key = { it.code }) { c ->
                        FilterChip(selected = category == c.code, onClick = { category = c.code }, label = { Text(c.title) })
                    }
                }
                OutlinedTextField(description, { description = it }, label = { Text(stringResource(R.string.report_description)) }, minLines = 3)
                OutlinedTextField(place, { place = it }, label = { Text(stringResource(R.string.report_place)) })
                Row(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
                    TextButton(onClick = { picker.launch(PickVisualMediaRequest(ActivityResultContracts.PickVisualMedia.ImageOnly)) }) {
                        Text(stringResource(R.string.add_photos, photos.size))
                    }
                    val chosen = category
                    Button(onClick = {
                        if (chosen != null) onFile(chosen, description, place, photos)
                        category = null; description = ""; place = ""; photos = emptyList()
                    }, enabled = state.available && !state.sending && chosen != null && description.isNotBlank()) {
                        Text(stringResource(R.string.send))
                    }
                }
            }
        }
        items(state.reports, key = { it.id }) { ReportCard(it, onRate) }
    }
}

@Composable
private fun ReportCard(report: ReportSummary, onRate: (String, Int) -> Unit) {
    Card {
        Column(Modifier.padding(12.dp)) {
            Text(report.title, style = MaterialTheme.typography.titleSmall)
            Text(stringResource(R.string.report_status, report.status))
            if (report.rating != null) {
                Text("★".repeat(report.rating))
            } else if (report.status == "resolved") {
                Row { (1..5).forEach { stars -> TextButton(onClick = { onRate(report.id, stars) }) { Text("$stars★") } } }
            }
        }
    }
}

@Preview(showBackground = true)
@Composable
private fun ReportsPreview() = ConnectTheme {
    val community = FakeCore().community
    ReportsContent(
        ReportsUiState(reports = community.reports.value, categories = community.reportCategories.value),
        { _, _, _, _ -> },
        { _, _ -> },
    )
}
