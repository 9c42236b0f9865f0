import Foundation
import Waybill
#if canImport(UIKit) && os(iOS)
import UIKit

/// Hands a proof photo from `UIImagePickerController` (camera) to the core's intake. The
/// picker gives the image in memory, so no original with EXIF is left in a temporary file;
/// the core strips metadata, seals the kept copy and queues the upload.
@MainActor
public final class CameraHandOff: NSObject, UIImagePickerControllerDelegate, UINavigationControllerDelegate {
    private let client: WaybillClient
    private let orderId: String
    private let kind: ProofKind
    private let step: ProofStep
    private let done: (Result<Proof, Error>?) -> Void

    /// `done` gets the proof, the core's refusal, or nil when the user cancelled.
    public init(client: WaybillClient, orderId: String, kind: ProofKind, step: ProofStep,
                done: @escaping (Result<Proof, Error>?) -> Void) {
        self.client = client
        self.orderId = orderId
        self.kind = kind
        self.step = step
        self.done = done
    }

    /// The camera picker to present (nil where the device has no camera).
    public func picker() -> UIImagePickerController? {
        guard UIImagePickerController.isSourceTypeAvailable(.camera) else { return nil }
        let picker = UIImagePickerController()
        picker.sourceType = .camera
        picker.delegate = self
        return picker
    }

    public func imagePickerController(_ picker: UIImagePickerController,
                                      didFinishPickingMediaWithInfo info: [UIImagePickerController.InfoKey: Any]) {
        picker.dismiss(animated: true)
        guard let image = info[.originalImage] as? UIImage, let jpeg = image.jpegData(compressionQuality: 0.85) else {
            done(nil)
            return
        }
        let (client, orderId, kind, step, done) = (client, orderId, kind, step, done)
        // Stripping and sealing happen off the main actor; `done` is called back on it.
        Task { @MainActor in
            do {
                done(.success(try await client.takeProof(orderId: orderId, kind: kind, step: step, source: .bytes(bytes: jpeg))))
            } catch {
                done(.failure(error))
            }
        }
    }

    public func imagePickerControllerDidCancel(_ picker: UIImagePickerController) {
        picker.dismiss(animated: true)
        done(nil)
    }
}
#endif
