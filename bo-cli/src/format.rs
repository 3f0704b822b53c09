//! Human-readable numbers, durations, times and parameter lists.

use bo_core::{ParamValue, Params};

/// A value for a table: 6 significant digits, scientific notation for very small or large.
pub(crate) fn compact_f64(v: f64) -> String {
    if !v.is_finite() {
        return v.to_string();
    }
    let a = v.abs();
    if a != 0.0 && !(1e-4..1e6).contains(&a) {
        return format!("{v:.4e}");
    }
    let decimals = if a == 0.0 { 0 } else { (5 - a.log10().floor() as i32).max(0) as usize };
    let s = format!("{v:.decimals$}");
    if s.contains('.') { s.trim_end_matches('0').trim_end_matches('.').to_string() } else { s }
}

/// A parameter value for a table (floats shortened, strings as they are).
pub(crate) fn compact_param(v: &ParamValue) -> String {
    match v {
        ParamValue::Float(x) => compact_f64(*x),
        other => other.to_string(),
    }
}

/// `name=value` pairs separated by spaces.
pub(crate) fn compact_params(params: &Params) -> String {
    let mut s = String::new();
    for (name, v) in params {
        if !s.is_empty() {
            s.push(' ');
        }
        s.push_str(name);
        s.push('=');
        s.push_str(&compact_param(v));
    }
    s
}

/// A duration: `0.125s`, `12.3s`, `4m05s`, `2h03m`.
pub(crate) fn duration(secs: f64) -> String {
    if !secs.is_finite() || secs < 0.0 {
        return String::new();
    }
    if secs < 10.0 {
        format!("{secs:.3}s")
    } else if secs < 60.0 {
        format!("{secs:.1}s")
    } else if secs < 3600.0 {
        let s = secs.round() as u64;
        format!("{}m{:02}s", s / 60, s % 60)
    } else {
        let m = (secs / 60.0).round() as u64;
        format!("{}h{:02}m", m / 60, m % 60)
    }
}

/// Seconds since the Unix epoch as an RFC 3339 UTC time with microseconds:
/// `2024-05-01T12:30:00.250000Z`.
pub(crate) fn rfc3339(secs: f64) -> String {
    if !secs.is_finite() {
        return String::new();
    }
    let micros_total = (secs * 1e6).round() as i64;
    let (secs_total, micros) = (micros_total.div_euclid(1_000_000), micros_total.rem_euclid(1_000_000));
    let (days, sod) = (secs_total.div_euclid(86_400), secs_total.rem_euclid(86_400));
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{micros:06}Z", sod / 3600, sod % 3600 / 60, sod % 60)
}

/// Gregorian date of a day count since 1970-01-01 (Howard Hinnant's `civil_from_days`).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compact_f64_keeps_six_significant_digits() {
        assert_eq!(compact_f64(0.0), "0");
        assert_eq!(compact_f64(0.397887357), "0.397887");
        assert_eq!(compact_f64(-3.3223680114), "-3.32237");
        assert_eq!(compact_f64(123456.7), "123457");
        assert_eq!(compact_f64(2.5), "2.5");
        assert_eq!(compact_f64(1.5e-7), "1.5000e-7");
        assert_eq!(compact_f64(f64::NAN), "NaN");
    }

    #[test]
    fn durations_pick_a_readable_unit() {
        assert_eq!(duration(0.1234), "0.123s");
        assert_eq!(duration(12.34), "12.3s");
        assert_eq!(duration(245.0), "4m05s");
        assert_eq!(duration(7380.0), "2h03m");
        assert_eq!(duration(-1.0), "");
    }

    #[test]
    fn rfc3339_formats_utc_times_with_microseconds() {
        assert_eq!(rfc3339(0.0), "1970-01-01T00:00:00.000000Z");
        assert_eq!(rfc3339(1_714_566_600.25), "2024-05-01T12:30:00.250000Z");
        assert_eq!(rfc3339(951_782_400.0), "2000-02-29T00:00:00.000000Z");
    }

    #[test]
    fn compact_params_lists_name_value_pairs_in_name_order() {
        let mut p = Params::new();
        p.insert("opt".into(), ParamValue::Str("adam".into()));
        p.insert("lr".into(), ParamValue::Float(0.00123456789));
        p.insert("layers".into(), ParamValue::Int(3));
        assert_eq!(compact_params(&p), "layers=3 lr=0.00123457 opt=adam");
    }
}
