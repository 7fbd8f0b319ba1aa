// AVFoundation capture delivering the luma plane of each frame to a handler: the session outputs
// kCVPixelFormatType_420YpCbCr8BiPlanarFullRange, whose plane 0 is the Y plane, handed over with
// its bytesPerRow as the row stride. Late frames are dropped while one is being decoded.
import AVFoundation
import SwiftUI

final class CameraFrameSource: NSObject, AVCaptureVideoDataOutputSampleBufferDelegate {
    typealias FrameHandler = (_ luma: Data, _ width: Int, _ height: Int, _ rowStride: Int) -> Void

    let session = AVCaptureSession()
    private let queue = DispatchQueue(label: "org.communityconnect.camera")
    private let onFrame: FrameHandler

    init(onFrame: @escaping FrameHandler) {
        self.onFrame = onFrame
        super.init()
    }

    func start() {
        queue.async { [self] in
            if session.inputs.isEmpty { configure() }
            session.startRunning()
        }
    }

    func stop() {
        queue.async { [session] in session.stopRunning() }
    }

    private func configure() {
        session.beginConfiguration()
        session.sessionPreset = .hd1280x720
        if let camera = AVCaptureDevice.default(.builtInWideAngleCamera, for: .video, position: .back),
           let input = try? AVCaptureDeviceInput(device: camera), session.canAddInput(input) {
            session.addInput(input)
        }
        let output = AVCaptureVideoDataOutput()
        output.videoSettings = [kCVPixelBufferPixelFormatTypeKey as String: kCVPixelFormatType_420YpCbCr8BiPlanarFullRange]
        output.alwaysDiscardsLateVideoFrames = true
        output.setSampleBufferDelegate(self, queue: queue)
        if session.canAddOutput(output) { session.addOutput(output) }
        session.commitConfiguration()
    }

    func captureOutput(_ output: AVCaptureOutput, didOutput sampleBuffer: CMSampleBuffer, from connection: AVCaptureConnection) {
        guard let pixels = CMSampleBufferGetImageBuffer(sampleBuffer) else { return }
        CVPixelBufferLockBaseAddress(pixels, .readOnly)
        defer { CVPixelBufferUnlockBaseAddress(pixels, .readOnly) }
        guard let base = CVPixelBufferGetBaseAddressOfPlane(pixels, 0) else { return }
        let width = CVPixelBufferGetWidthOfPlane(pixels, 0)
        let height = CVPixelBufferGetHeightOfPlane(pixels, 0)
        let stride = CVPixelBufferGetBytesPerRowOfPlane(pixels, 0)
        // Copied because the buffer is only valid while locked.
        onFrame(Data(bytes: base, count: stride * height), width, height, stride)
    }
}

/// The live preview layer for a running source.
struct CameraPreview: UIViewRepresentable {
    let source: CameraFrameSource

    func makeUIView(context: Context) -> PreviewView {
        let view = PreviewView()
        view.previewLayer.session = source.session
        view.previewLayer.videoGravity = .resizeAspectFill
        return view
    }

    func updateUIView(_ uiView: PreviewView, context: Context) {}

    final class PreviewView: UIView {
        override class var layerClass: AnyClass { AVCaptureVideoPreviewLayer.self }
        var previewLayer: AVCaptureVideoPreviewLayer { layer as! AVCaptureVideoPreviewLayer }
    }
}
