/*
 * The single activity: a bottom bar over every screen (Partner mode is the last tab),
 * and the notification permission asked once. View models get the one Core from the Application.
 */
package org.communityconnect.app

import android.Manifest
import android.os.Build
import android.os.Bundle
import androidx.activity.ComponentActivity
import androidx.activity.compose.rememberLauncherForActivityResult
import androidx.activity.compose.setContent
import androidx.activity.result.contract.ActivityResultContracts
import androidx.annotation.StringRes
import androidx.compose.foundation.layout.Box
import androidx.compose.foundation.layout.padding
import androidx.compose.material.icons.Icons
import androidx.compose.material.icons.filled.Home
import androidx.compose.material.icons.filled.Map
import androidx.compose.material.icons.filled.QrCodeScanner
import androidx.compose.material.icons.filled.ReportProblem
import androidx.compose.material.icons.filled.Speed
import androidx.compose.material.icons.filled.Star
import androidx.compose.material.icons.filled.Storefront
import androidx.compose.material3.Icon
import androidx.compose.material3.NavigationBar
import androidx.compose.material3.NavigationBarItem
import androidx.compose.material3.Scaffold
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.getValue
import androidx.compose.ui.Modifier
import androidx.compose.ui.graphics.vector.ImageVector
import androidx.compose.ui.res.stringResource
import androidx.lifecycle.viewmodel.compose.viewModel
import androidx.lifecycle.viewmodel.initializer
import androidx.lifecycle.viewmodel.viewModelFactory
import androidx.navigation.compose.NavHost
import androidx.navigation.compose.composable
import androidx.navigation.compose.currentBackStackEntryAsState
import androidx.navigation.compose.rememberNavController
import org.communityconnect.app.core.CoreApi
import org.communityconnect.app.platform.LocationProvider
import org.communityconnect.app.ui.home.HomeScreen
import org.communityconnect.app.ui.home.HomeViewModel
import org.communityconnect.app.ui.outages.OutagesScreen
import org.communityconnect.app.ui.outages.OutagesViewModel
import org.communityconnect.app.ui.partner.PartnerScreen
import org.communityconnect.app.ui.partner.PartnerViewModel
import org.communityconnect.app.ui.points.PointsScreen
import org.communityconnect.app.ui.points.PointsViewModel
import org.communityconnect.app.ui.readings.ReadingsScreen
import org.communityconnect.app.ui.readings.ReadingsViewModel
import org.communityconnect.app.ui.reports.ReportsScreen
import org.communityconnect.app.ui.reports.ReportsViewModel
import org.communityconnect.app.ui.scan.ScanScreen
import org.communityconnect.app.ui.scan.ScanViewModel
import org.communityconnect.app.ui.theme.ConnectTheme

private enum class Destination(val route: String, @StringRes val label: Int, val icon: ImageVector) {
    Home("home", R.string.tab_home, Icons.Filled.Home),
    Scan("scan", R.string.tab_scan, Icons.Filled.QrCodeScanner),
    Readings("readings", R.string.tab_readings, Icons.Filled.Speed),
    Reports("reports", R.string.tab_reports, Icons.Filled.ReportProblem),
    Outages("outages", R.string.tab_outages, Icons.Filled.Map),
    Points("points", R.string.tab_points, Icons.Filled.Star),
    Partner("partner", R.string.tab_partner, Icons.Filled.Storefront),
}

class MainActivity : ComponentActivity() {
    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        val core = (application as ConnectApplication).core
        val location = LocationProvider(this)
        setContent { ConnectTheme { ConnectNavigation(core, location) } }
    }
}

@Composable
private fun ConnectNavigation(core: CoreApi, location: LocationProvider) {
    val notifications = rememberLauncherForActivityResult(ActivityResultContracts.RequestPermission()) {}
    LaunchedEffect(Unit) {
        if (Build.VERSION.SDK_INT >= Build.VERSION_CODES.TIRAMISU) notifications.launch(Manifest.permission.POST_NOTIFICATIONS)
    }
    val nav = rememberNavController()
    val current by nav.currentBackStackEntryAsState()
    Scaffold(
        bottomBar = {
            NavigationBar {
                Destination.entries.forEach { destination ->
                    NavigationBarItem(
                        selected = current?.destination?.route == destination.route,
                        onClick = { nav.navigate(destination.route) { launchSingleTop = true; popUpTo(Destination.Home.route) } },
                        icon = { Icon(destination.icon, contentDescription = null) },
                        label = { Text(stringResource(destination.label)) },
                    )
                }
            }
        },
    ) { padding ->
        Box(Modifier.padding(padding)) {
            NavHost(nav, startDestination = Destination.Home.route) {
                composable(Destination.Home.route) { HomeScreen(viewModel(factory = factory { HomeViewModel(core) })) }
                composable(Destination.Scan.route) { ScanScreen(viewModel(factory = factory { ScanViewModel(core) })) }
                composable(Destination.Readings.route) { ReadingsScreen(viewModel(factory = factory { ReadingsViewModel(core) })) }
                composable(Destination.Reports.route) { ReportsScreen(viewModel(factory = factory { ReportsViewModel(core) })) }
                composable(Destination.Outages.route) { OutagesScreen(viewModel(factory = factory { OutagesViewModel(core, location) })) }
                composable(Destination.Points.route) { PointsScreen(viewModel(factory = factory { PointsViewModel(core) })) }
                composable(Destination.Partner.route) { PartnerScreen(viewModel(factory = factory { PartnerViewModel(core) })) }
            }
        }
    }
}

private inline fun <reified VM : androidx.lifecycle.ViewModel> factory(crossinline create: () -> VM) =
    viewModelFactory { initializer { create() } }
