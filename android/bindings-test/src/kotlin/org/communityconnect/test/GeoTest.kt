// The offline building pack through the bindings: pack bytes in, the lookup's three answers out as
// a Kotlin sealed class, and a damaged download as a GeoException (the old pack stays usable).
package org.communityconnect.test

import org.communityconnect.core.Lookup
import org.communityconnect.ffi.BuildingPack
import org.communityconnect.ffi.GeoException
import org.communityconnect.ffi.buildPack
import kotlin.test.Test
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertIs
import kotlin.test.assertTrue

class GeoTest {
    private val geojson = """
        {"type":"FeatureCollection","features":[{"type":"Feature",
          "properties":{"id":"B1","address":"Main street 1","mgmt_company_id":"X"},
          "geometry":{"type":"Polygon","coordinates":[[[39.9,59.2],[39.901,59.2],[39.901,59.201],
            [39.9,59.201],[39.9,59.2]]]}}]}
    """.trimIndent()
    private val bytes = buildPack(geojson, "vologda", "2026-11-01")

    @Test
    fun aFixInsideAFootprintNamesTheBuildingAndItsCompany() {
        BuildingPack.fromPack(bytes).use { pack ->
            assertEquals("vologda", pack.region())
            assertEquals("2026-11-01", pack.dataVersion())
            val inside = assertIs<Lookup.Inside>(pack.lookup(59.2005, 39.9005, 10.0))
            assertEquals("B1", inside.v1.buildingId)
            assertEquals("X", inside.v1.company)
            assertEquals("Main street 1", inside.v1.address)
        }
    }

    @Test
    fun aFixJustOutsideListsTheBuildingNearAndAFarOneFindsNothing() {
        BuildingPack.fromPack(bytes).use { pack ->
            val near = assertIs<Lookup.Near>(pack.lookup(59.2005, 39.9011, 10.0))
            assertEquals(listOf("B1"), near.v1.map { it.building.buildingId })
            assertTrue(near.v1.single().distanceM in 1.0..30.0)
            assertEquals(Lookup.Nothing, pack.lookup(60.0, 41.0, 10.0))
        }
    }

    @Test
    fun aDamagedDownloadIsADamagedPackException() {
        val damaged = bytes.copyOf().also { it[it.size - 1] = (it[it.size - 1] + 1).toByte() }
        assertFailsWith<GeoException.DamagedPack> { BuildingPack.fromPack(damaged) }
        assertFailsWith<GeoException.DamagedPack> { BuildingPack.fromPack(bytes.copyOf(bytes.size / 2)) }
        assertFailsWith<GeoException.DamagedPack> { BuildingPack.fromPack(ByteArray(0)) }
    }
}
