import XCTest
@testable import Waybill
@testable import WaybillGlue

/// A source that records what the controller asked of it.
final class FakeSource: LocationSource {
    var starts: [(Accuracy, TimeInterval)] = []
    var stops = 0
    var deliver: (([Fix]) -> Void)?

    func start(accuracy: Accuracy, interval: TimeInterval, onFixes: @escaping ([Fix]) -> Void) {
        starts.append((accuracy, interval))
        deliver = onFixes
    }

    func stop() {
        stops += 1
        deliver = nil
    }
}

@MainActor
final class TrackingControllerTests: XCTestCase {
    func testThePlanStartsRestartsAndStopsTheSourceAndFixesReachTheOrder() {
        let source = FakeSource()
        var recorded: [(String, Int)] = []
        let controller = TrackingController(source: source) { id, fixes in recorded.append((id, fixes.count)) }
        let plan = TrackingPlan.track(orderId: "ord-1", accuracy: .high, intervalMilliseconds: 1_000)
        controller.apply(plan)
        controller.apply(plan)  // the same plan again: no restart
        XCTAssertEqual(source.starts.count, 1)
        source.deliver?([Fix(at: Date(), lat: 31.2, lon: 121.4, accuracyMeters: 5, elapsedMilliseconds: nil, mock: false)])
        XCTAssertEqual(recorded.first?.0, "ord-1")
        controller.apply(.track(orderId: "ord-1", accuracy: .balanced, intervalMilliseconds: 5_000))
        XCTAssertEqual(source.starts.count, 2)
        XCTAssertEqual(source.starts.last?.1, 5, "the plan's milliseconds as seconds")
        controller.apply(.noJob)
        XCTAssertEqual(source.stops, 1)
        XCTAssertNil(controller.running)
    }
}
