//! Floating-point functions that give the same bits on every platform.
//!
//! `f64::ln` calls the platform's maths library: glibc natively, a port of
//! musl's inside WebAssembly. Both are accurate to an ulp or so, but not
//! always to the *same* last bit, and one differing arrival instant changes
//! the whole trace. The simulation must replay a seed identically inside
//! WebAssembly under Node and natively (the package's tests compare the
//! trace hashes), so its workload uses only `+ - * /` here, which IEEE 754
//! rounds the same way everywhere (Rust never fuses them into FMAs).

/// ln 2, as the nearest `f64`.
const LN_2: f64 = std::f64::consts::LN_2;

/// The natural logarithm of a positive, finite, normal `x`, to within a few
/// ulps of the correctly rounded value, with the same bits on every platform.
///
/// `x = m · 2^e` with `m` in [√½, √2); `ln m = 2·atanh(s)`, `s = (m−1)/(m+1)`,
/// `|s| ≤ 0.1716`, summed to `s^23` (the next term is below 10⁻¹⁹ of the sum).
/// Anything else (zero, negative, subnormal, infinite, NaN) answers NaN:
/// the simulation never asks for it.
#[must_use]
pub(crate) fn ln(x: f64) -> f64 {
    if !(x.is_finite() && x.is_normal() && x > 0.0) {
        return f64::NAN;
    }
    let bits = x.to_bits();
    let mut exponent = ((bits >> 52) & 0x7ff) as i64 - 1023;
    let mut m = f64::from_bits((bits & 0x000f_ffff_ffff_ffff) | 0x3ff0_0000_0000_0000);
    if m > std::f64::consts::SQRT_2 {
        m /= 2.0;
        exponent += 1;
    }
    let s = (m - 1.0) / (m + 1.0);
    let s2 = s * s;
    // Horner form of 1 + s²/3 + s⁴/5 + … + s²²/23, innermost term first.
    let mut series = 1.0 / 23.0;
    let mut k = 21.0;
    while k >= 1.0 {
        series = series * s2 + 1.0 / k;
        k -= 2.0;
    }
    exponent as f64 * LN_2 + 2.0 * s * series
}

#[cfg(test)]
mod tests {
    use super::ln;

    #[test]
    fn agrees_with_the_platform_logarithm_to_a_few_ulps() {
        let mut x = 1e-12_f64;
        let mut checked = 0;
        while x <= 1.0 {
            let want = x.ln();
            let got = ln(x);
            let ulp = f64::EPSILON * want.abs().max(f64::MIN_POSITIVE);
            assert!(
                (got - want).abs() <= 4.0 * ulp,
                "ln({x:e}) = {got:e}, platform says {want:e}"
            );
            x *= 1.000_123_7;
            checked += 1;
        }
        assert!(checked > 200_000, "walked only {checked} points");
    }

    #[test]
    fn exact_at_one_and_powers_of_two() {
        assert_eq!(ln(1.0), 0.0);
        assert_eq!(ln(0.5), -std::f64::consts::LN_2);
        assert_eq!(ln(0.25), -2.0 * std::f64::consts::LN_2);
    }

    #[test]
    fn refuses_what_has_no_finite_logarithm() {
        for x in [0.0, -1.0, f64::INFINITY, f64::NAN, f64::MIN_POSITIVE / 2.0] {
            assert!(ln(x).is_nan(), "ln({x}) should be NaN");
        }
    }
}
