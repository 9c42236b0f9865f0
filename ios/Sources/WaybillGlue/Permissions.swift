import Foundation
import Waybill
#if canImport(CoreLocation)
import CoreLocation
#endif
#if canImport(AVFoundation)
import AVFoundation
#endif
#if canImport(Photos)
import Photos
#endif

/// The OS's authorization states as the core's `PermissionState`s; report them with
/// `client.reportPermission` on launch and on every change (Settings may change them).
public enum Permissions {
    #if canImport(CoreLocation)
    /// Location: `authorizedAlways` also grants background; reduced accuracy is
    /// approximate only (the core then degrades or asks, per purpose).
    public static func location(_ m: CLLocationManager) -> [(Permission, PermissionState)] {
        let status = m.authorizationStatus
        let granted = status == .authorizedAlways || status == .authorizedWhenInUse
        let base: PermissionState = status == .notDetermined ? .notDetermined : (granted ? .granted : .denied)
        let precise: PermissionState = granted && m.accuracyAuthorization == .reducedAccuracy ? .denied : base
        let background: PermissionState = status == .authorizedAlways ? .granted : (status == .notDetermined ? .notDetermined : .denied)
        return [(.locationApproximate, base), (.locationPrecise, precise), (.locationBackground, background)]
    }
    #endif

    #if canImport(AVFoundation)
    /// The camera, for proof photos.
    public static func camera() -> PermissionState {
        switch AVCaptureDevice.authorizationStatus(for: .video) {
        case .authorized: return .granted
        case .notDetermined: return .notDetermined
        default: return .denied
        }
    }
    #endif

    #if canImport(Photos)
    /// The photo library (picking an existing photo as a proof); "limited" is kept as such.
    public static func photos() -> PermissionState {
        switch PHPhotoLibrary.authorizationStatus(for: .readWrite) {
        case .authorized: return .granted
        case .limited: return .limited
        case .notDetermined: return .notDetermined
        default: return .denied
        }
    }
    #endif
}
