//! Distances on the WGS-84 sphere and a local metric projection, the few formulas the
//! trajectory engine needs. The `geo` crate has them too, but would add to every app's
//! library for a dozen lines; its simplifiers are not time-aware, which this engine needs.

const EARTH_RADIUS_M: f64 = 6_371_008.8;

/// Great-circle (haversine) distance in metres.
pub fn distance_m(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> f64 {
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let dp = p2 - p1;
    let dl = (lon2 - lon1).to_radians();
    let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_M * a.sqrt().asin()
}

/// An equirectangular projection around an origin: metres east and north. Within a city
/// or a day's drive its error is far below the simplification bound.
#[derive(Debug, Clone, Copy)]
pub struct Local {
    lat0: f64,
    lon0: f64,
    m_per_deg_lon: f64,
}

/// Metres per degree of latitude.
const M_PER_DEG_LAT: f64 = EARTH_RADIUS_M * std::f64::consts::PI / 180.0;

impl Local {
    /// Projection centred on (`lat0`, `lon0`).
    pub fn new(lat0: f64, lon0: f64) -> Local {
        Local {
            lat0,
            lon0,
            m_per_deg_lon: M_PER_DEG_LAT * lat0.to_radians().cos(),
        }
    }

    /// (east, north) in metres.
    pub fn project(&self, lat: f64, lon: f64) -> (f64, f64) {
        (
            (lon - self.lon0) * self.m_per_deg_lon,
            (lat - self.lat0) * M_PER_DEG_LAT,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_degree_of_latitude_is_about_111_km() {
        let d = distance_m(31.0, 121.0, 32.0, 121.0);
        assert!((d - 111_195.0).abs() < 10.0, "{d}");
        let local = Local::new(48.16, 11.56);
        let (x, y) = local.project(48.161, 11.561);
        let direct = distance_m(48.16, 11.56, 48.161, 11.561);
        assert!(((x * x + y * y).sqrt() - direct).abs() < 0.05);
    }
}
