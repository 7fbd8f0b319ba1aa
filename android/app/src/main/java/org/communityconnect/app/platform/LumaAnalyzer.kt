/*
 * CameraX analyzer: hands the Y plane of each YUV_420_888 frame, with its row stride, to core's
 * decoder. The plane is copied once because the buffer is only valid until the image is closed.
 * Frames arriving while one is being decoded are dropped (STRATEGY_KEEP_ONLY_LATEST).
 */
package org.communityconnect.app.platform

import androidx.camera.core.ImageAnalysis
import androidx.camera.core.ImageProxy

class LumaAnalyzer(
    private val onFrame: (luma: ByteArray, width: Int, height: Int, rowStride: Int) -> Unit,
) : ImageAnalysis.Analyzer {

    override fun analyze(image: ImageProxy) {
        image.use {
            val plane = it.planes[0]
            val buffer = plane.buffer
            // The last row may stop at the width rather than the stride; core expects full rows.
            val luma = ByteArray(plane.rowStride * it.height)
            buffer.get(luma, 0, minOf(buffer.remaining(), luma.size))
            onFrame(luma, it.width, it.height, plane.rowStride)
        }
    }
}
