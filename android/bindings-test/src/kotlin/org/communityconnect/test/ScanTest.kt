// Scanning through the bindings: a camera-like luma frame (padded rows) crosses into decode_frame,
// and stickers signed here with the JDK's own Ed25519 verify offline in the Rust core, so the
// sticker format is checked against an independent implementation. Refusals arrive as the human
// StickerScanException variants.
package org.communityconnect.test

import org.communityconnect.ffi.AppConfig
import org.communityconnect.ffi.ConnectApp
import org.communityconnect.ffi.FrameException
import org.communityconnect.ffi.StickerScanException
import org.communityconnect.ffi.decodeFrame
import org.communityconnect.ffi.renderQrFrame
import java.io.File
import java.net.ServerSocket
import java.nio.ByteBuffer
import java.nio.file.Files
import java.security.KeyPair
import java.security.KeyPairGenerator
import java.security.Signature
import java.time.LocalDate
import java.util.Base64
import kotlin.test.Test
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertTrue

class ScanTest {
    private val port = ServerSocket(0).use { it.localPort }
    private val host = "127.0.0.1:$port"
    private val keyId = 0x0a0b
    private val key: KeyPair = KeyPairGenerator.getInstance("Ed25519").generateKeyPair()
    private val b64 = Base64.getUrlEncoder().withoutPadding()

    private fun trustEntry(pair: KeyPair, id: Int) =
        "%04x:%s".format(id, b64.encodeToString(pair.public.encoded.takeLast(32).toByteArray()))

    private val dir: File = Files.createTempDirectory("connect-scan-").toFile().apply { deleteOnExit() }
    private fun open() = ConnectApp.open(
        AppConfig(File(dir, "app.db").path, "http://$host", ByteArray(32) { 3 }, listOf(trustEntry(key, keyId))),
    )

    /** `version | key id | len | building | days since 1970 | Ed25519 signature`, base64url. */
    private fun sticker(
        building: String,
        issuedOn: LocalDate,
        signer: KeyPair = key,
        id: Int = keyId,
        tamper: (ByteArray) -> ByteArray = { it },
    ): String {
        val body = ByteBuffer.allocate(3 + 1 + building.length + 4)
            .put(1).putShort(id.toShort()).put(building.length.toByte()).put(building.toByteArray())
            .putInt(issuedOn.toEpochDay().toInt()).array()
        val sig = Signature.getInstance("Ed25519").apply { initSign(signer.private); update(body) }.sign()
        return "https://$host/p/${b64.encodeToString(tamper(body) + sig)}"
    }

    @Test
    fun aStickerInACameraFrameDecodesAndVerifiesAsItsBuilding() {
        val url = sticker("B-17", LocalDate.of(2026, 11, 1))
        val frame = renderQrFrame(url, 4u)
        assertTrue(frame.rowStride > frame.width, "the frame has padded rows")
        val codes = decodeFrame(frame.luma, frame.width, frame.height, frame.rowStride)
        assertEquals(listOf(url), codes.map { it.text })
        assertEquals(4, codes.single().corners.size)
        open().use { app ->
            val claims = app.verifySticker(codes.single().text)
            assertEquals("B-17", claims.buildingId)
            assertEquals("2026-11-01", claims.issuedOn)
            assertEquals("0a0b", claims.keyId)
        }
    }

    @Test
    fun aStickerSignedByAnotherKeyOrAlteredIsForged() {
        val intruder = KeyPairGenerator.getInstance("Ed25519").generateKeyPair()
        open().use { app ->
            assertFailsWith<StickerScanException.ForgedSticker> {
                app.verifySticker(sticker("B-17", LocalDate.of(2026, 11, 1), signer = intruder))
            }
            val altered = sticker("B-17", LocalDate.of(2026, 11, 1)) { body ->
                body.copyOf().also { it[5] = 'X'.code.toByte() }
            }
            val e = assertFailsWith<StickerScanException.ForgedSticker> { app.verifySticker(altered) }
            assertTrue(e.reason.isNotBlank())
        }
    }

    @Test
    fun refusalsSayWhyAsTheirOwnVariant() {
        open().use { app ->
            val unknown = assertFailsWith<StickerScanException.UnknownKey> {
                app.verifySticker(sticker("B-17", LocalDate.of(2026, 11, 1), id = 0x0c0d))
            }
            assertEquals("0c0d", unknown.keyId)
            val genuine = sticker("B-17", LocalDate.of(2026, 11, 1))
            assertFailsWith<StickerScanException.OtherHost> {
                app.verifySticker(genuine.replace(host, "evil.example"))
            }
            assertFailsWith<StickerScanException.OtherHost> {
                app.verifySticker(genuine.replace("https://", "http://"))
            }
            assertFailsWith<StickerScanException.NotASticker> { app.verifySticker("WIFI:S:home;;") }
        }
    }

    @Test
    fun aBlankFrameHasNoCodesAndABadStrideIsAFrameException() {
        val blank = ByteArray(64 * 48) { 128.toByte() }
        assertEquals(emptyList(), decodeFrame(blank, 64u, 48u, 64u))
        assertFailsWith<FrameException.InvalidFrame> { decodeFrame(blank, 64u, 48u, 32u) }
    }
}
