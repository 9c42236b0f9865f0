import Foundation
import Waybill
#if canImport(CoreLocation)
import CoreLocation
#endif

/// Where fixes come from. The core decides when and how precisely to track (its
/// `TrackingPlan`); a source only starts and stops as told and hands fixes over.
public protocol LocationSource: AnyObject {
    /// Starts (or restarts) delivering fixes about every `interval` seconds with `accuracy`.
    func start(accuracy: Accuracy, interval: TimeInterval, onFixes: @escaping ([Fix]) -> Void)
    /// Stops delivering fixes.
    func stop()
}

/// Applies the core's tracking plan to a `LocationSource` and forwards its fixes to the
/// core. Call `apply` after every order action, authorization change and consent change.
@MainActor
public final class TrackingController {
    private let source: LocationSource
    private let record: (String, [Fix]) -> Void
    /// The plan being followed, if it tracks.
    public private(set) var running: TrackingPlan?

    /// `record` is called with the order id and the fixes (e.g. `client.recordFixes`).
    public init(source: LocationSource, record: @escaping (String, [Fix]) -> Void) {
        self.source = source
        self.record = record
    }

    /// Starts, restarts (new order, accuracy or interval) or stops the source.
    public func apply(_ plan: TrackingPlan) {
        switch plan {
        case let .track(orderId, accuracy, intervalMilliseconds):
            guard plan != running else { return }
            let record = self.record
            source.start(accuracy: accuracy, interval: TimeInterval(intervalMilliseconds) / 1000) { fixes in
                record(orderId, fixes)
            }
            running = plan
        case .noJob, .noConsent, .needsPermission:
            source.stop()
            running = nil
        }
    }
}

#if canImport(CoreLocation) && os(iOS)
/// `CLLocationManager` as the core asks: best accuracy for `high`, ten-metre accuracy for
/// `balanced`; fixes closer together than the plan's interval are not handed over (iOS
/// has no interval setting: it delivers what it has, about once a second); background
/// updates with the blue location indicator, so the user always sees that the trip is
/// recorded. It asks for authorization itself when none was given yet ("when in use"
/// first, "always" only once that is granted, as iOS requires), and reports every
/// authorization change so the app can tell the core and re-plan.
public final class CoreLocationSource: NSObject, LocationSource, CLLocationManagerDelegate {
    private let manager = CLLocationManager()
    private var onFixes: (([Fix]) -> Void)?
    private var interval: TimeInterval = 0
    private var lastDelivered: Date?
    /// Called on every authorization change (map it to the core's permission states).
    public var onAuthorization: ((CLAuthorizationStatus) -> Void)?

    public override init() {
        super.init()
        manager.delegate = self
    }

    public func start(accuracy: Accuracy, interval: TimeInterval, onFixes: @escaping ([Fix]) -> Void) {
        self.onFixes = onFixes
        self.interval = interval
        lastDelivered = nil
        switch accuracy {
        case .high:
            manager.desiredAccuracy = kCLLocationAccuracyBest
            manager.distanceFilter = kCLDistanceFilterNone
        case .balanced:
            manager.desiredAccuracy = kCLLocationAccuracyNearestTenMeters
            manager.distanceFilter = 10
        }
        manager.activityType = .automotiveNavigation
        manager.pausesLocationUpdatesAutomatically = false
        switch manager.authorizationStatus {
        case .notDetermined:
            // The prompt comes from the tracking screen that started this (the core's
            // plan says Track only for a job the driver started); updates begin once
            // the answer arrives in `locationManagerDidChangeAuthorization`.
            manager.requestWhenInUseAuthorization()
        case .authorizedWhenInUse:
            manager.requestAlwaysAuthorization()
            begin()
        case .authorizedAlways:
            begin()
        default:
            break
        }
    }

    private func begin() {
        manager.allowsBackgroundLocationUpdates = true
        manager.showsBackgroundLocationIndicator = true
        manager.startUpdatingLocation()
    }

    public func stop() {
        manager.stopUpdatingLocation()
        onFixes = nil
    }

    public func locationManagerDidChangeAuthorization(_ manager: CLLocationManager) {
        onAuthorization?(manager.authorizationStatus)
        switch manager.authorizationStatus {
        case .authorizedWhenInUse, .authorizedAlways:
            if onFixes != nil { begin() }
        default:
            manager.stopUpdatingLocation()
        }
    }

    public func locationManager(_ manager: CLLocationManager, didUpdateLocations locations: [CLLocation]) {
        var kept: [CLLocation] = []
        for location in locations {
            if let last = lastDelivered, location.timestamp.timeIntervalSince(last) < interval { continue }
            kept.append(location)
            lastDelivered = location.timestamp
        }
        if !kept.isEmpty { onFixes?(kept.map { $0.toFix() }) }
    }
}

extension CLLocation {
    /// The core's fix: device time, position, horizontal accuracy (nil when invalid), and
    /// whether iOS marked it simulated (the core applies its mock policy).
    public func toFix() -> Fix {
        var simulated = false
        if #available(iOS 15.0, *) {
            simulated = sourceInformation?.isSimulatedBySoftware ?? false
        }
        return Fix(
            at: timestamp, lat: coordinate.latitude, lon: coordinate.longitude,
            accuracyMeters: horizontalAccuracy >= 0 ? horizontalAccuracy : nil,
            elapsedMilliseconds: nil, mock: simulated
        )
    }
}
#endif
