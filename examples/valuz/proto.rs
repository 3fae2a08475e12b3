//! The valuz wire protocol (see `docs/PROTOCOLS.md`), as pure functions.
//!
//! - An order is three ASCII frames `[stock][action][price]`: action `1`
//!   (BUY) or `-1` (SELL), the price as a plain decimal.
//! - A value is one frame, `action × price × 100` as decimal text; the empty
//!   frame means "idling" (a worker is ready).
//! - Control is `batch.start` (reduce → source) and `batch.leave` (reduce →
//!   workers) on PUB/SUB.
//!
//! Prices are generated in whole cents, so a value is a whole number and the
//! workers compute it exactly by moving the decimal point; the reduce sums
//! with compensation, so its result does not depend on arrival order.

/// The control message that starts a batch.
pub const START: &str = "batch.start";
/// The control message that dismisses the workers.
pub const LEAVE: &str = "batch.leave";

/// Buy or sell one lot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Buy,
    Sell,
}

impl Action {
    /// Its wire form: `1` or `-1`.
    pub fn wire(self) -> &'static str {
        match self {
            Action::Buy => "1",
            Action::Sell => "-1",
        }
    }

    /// +1 or -1.
    pub fn sign(self) -> i64 {
        match self {
            Action::Buy => 1,
            Action::Sell => -1,
        }
    }

    /// Reads an action leniently: `1`, `+1`, `-1`, `1.0`, `BUY`, `SELL`.
    pub fn parse(text: &str) -> Option<Action> {
        let text = clean(text);
        if text.eq_ignore_ascii_case("buy") {
            return Some(Action::Buy);
        }
        if text.eq_ignore_ascii_case("sell") {
            return Some(Action::Sell);
        }
        match text.parse::<f64>().ok()? {
            1.0 => Some(Action::Buy),
            -1.0 => Some(Action::Sell),
            _ => None,
        }
    }
}

/// Trims blanks and the NUL terminator C peers sometimes send.
fn clean(text: &str) -> &str {
    text.trim_matches(|c: char| c.is_whitespace() || c == '\0')
}

/// A price in cents as a plain decimal: `4178` → `41.78`.
pub fn format_cents(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    format!(
        "{sign}{}.{:02}",
        cents.unsigned_abs() / 100,
        cents.unsigned_abs() % 100
    )
}

/// A result as the talk prints it, Python's `{:+.3f}`.
pub fn format_result(value: f64) -> String {
    format!("{value:+.3}")
}

/// `price × 100` for a plain decimal `[-+]digits[.digits]`, by moving the
/// decimal point: exact, whatever the number of digits. `None` for anything
/// else (exponents, words).
fn times_hundred_exact(price: &str) -> Option<(bool, String)> {
    let (negative, digits) = match price.as_bytes().first()? {
        b'-' => (true, &price[1..]),
        b'+' => (false, &price[1..]),
        _ => (false, price),
    };
    let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
    if int.is_empty() && frac.is_empty()
        || !(int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit()))
    {
        return None;
    }
    let frac = format!("{frac:0<2}");
    let whole = format!("{int}{}", &frac[..2]);
    let whole = whole.trim_start_matches('0');
    let rest = frac[2..].trim_end_matches('0');
    let mut text = if whole.is_empty() {
        "0".to_owned()
    } else {
        whole.to_owned()
    };
    if !rest.is_empty() {
        text.push('.');
        text.push_str(rest);
    }
    let zero = text.bytes().all(|b| b == b'0' || b == b'.');
    Some((negative && !zero, text))
}

/// The worker's computation: `action × price × 100` as decimal text (no
/// exponent). `None` when the price is not a finite number.
pub fn value_text(action: Action, price: &str) -> Option<String> {
    let price = clean(price);
    if let Some((negative, digits)) = times_hundred_exact(price) {
        let negative = negative != (action == Action::Sell) && digits != "0";
        return Some(if negative {
            format!("-{digits}")
        } else {
            digits
        });
    }
    let value = parse_value(price.as_bytes())? * 100.0 * action.sign() as f64;
    // Rust's `Display` for f64 never uses an exponent.
    Some(format!("{value}"))
}

/// Reads a value leniently: any finite decimal a worker in another language
/// might print (`4178`, `-4178.0`, `1.5e-2`, `+3`, blanks or a NUL around it).
pub fn parse_value(frame: &[u8]) -> Option<f64> {
    let value = clean(std::str::from_utf8(frame).ok()?)
        .parse::<f64>()
        .ok()?;
    value.is_finite().then_some(value)
}

/// One decoded order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Order<'a> {
    pub stock: &'a str,
    pub action: Action,
    pub price: &'a str,
}

fn utf8<'a, T: AsRef<[u8]>>(frame: &'a T, what: &str) -> Result<&'a str, String> {
    std::str::from_utf8(frame.as_ref()).map_err(|_| format!("the {what} is not UTF-8"))
}

/// Decodes the three frames of an order.
pub fn parse_order<T: AsRef<[u8]>>(frames: &[T]) -> Result<Order<'_>, String> {
    let [stock, action, price] = frames else {
        return Err(format!("an order has 3 frames, not {}", frames.len()));
    };
    let (stock, action_text, price) = (
        utf8(stock, "stock")?,
        utf8(action, "action")?,
        utf8(price, "price")?,
    );
    let action =
        Action::parse(action_text).ok_or_else(|| format!("unknown action {action_text:?}"))?;
    Ok(Order {
        stock,
        action,
        price,
    })
}

/// A sum whose result does not depend on the order of its terms (Neumaier's
/// compensated summation; exact for whole numbers below 2^53).
#[derive(Debug, Default, Clone, Copy)]
pub struct Sum {
    sum: f64,
    compensation: f64,
}

impl Sum {
    pub fn add(&mut self, x: f64) {
        let t = self.sum + x;
        if self.sum.abs() >= x.abs() {
            self.compensation += (self.sum - t) + x;
        } else {
            self.compensation += (x - t) + self.sum;
        }
        self.sum = t;
    }

    pub fn value(&self) -> f64 {
        self.sum + self.compensation
    }
}

/// The source's batch: a random walk of each stock's price in whole cents.
pub struct Orders<R> {
    rng: R,
    cents: Vec<(&'static str, i64)>,
}

impl<R: rand::Rng> Orders<R> {
    /// Starts every stock at its opening price (tickz's list).
    pub fn new(rng: R) -> Orders<R> {
        let cents = OPENING.iter().map(|&(s, c)| (s, c)).collect();
        Orders { rng, cents }
    }

    /// The next order: a stock, an action, a price in cents (at least one cent).
    pub fn next_order(&mut self) -> (&'static str, Action, i64) {
        let slot = self.rng.random_range(0..self.cents.len());
        let step = self.rng.random_range(-100..100);
        let (stock, cents) = &mut self.cents[slot];
        *cents = if *cents + step > 0 {
            *cents + step
        } else {
            *cents - step
        };
        let action = if self.rng.random_bool(0.5) {
            Action::Buy
        } else {
            Action::Sell
        };
        (*stock, action, *cents)
    }
}

/// The tickz symbols and opening prices, in cents.
pub const OPENING: [(&str, i64); 5] = [
    ("MSFT", 4178),
    ("AAPL", 9535),
    ("GOOG", 57109),
    ("YHOO", 3453),
    ("BBRY", 1090),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prices_are_plain_decimals() {
        assert_eq!(format_cents(4178), "41.78");
        assert_eq!(format_cents(1090), "10.90");
        assert_eq!(format_cents(5), "0.05");
        assert_eq!(format_cents(-5), "-0.05");
    }

    #[test]
    fn values_move_the_decimal_point_exactly() {
        assert_eq!(value_text(Action::Buy, "41.78").as_deref(), Some("4178"));
        assert_eq!(value_text(Action::Sell, "41.78").as_deref(), Some("-4178"));
        assert_eq!(value_text(Action::Buy, "10.90").as_deref(), Some("1090"));
        assert_eq!(value_text(Action::Buy, "0.05").as_deref(), Some("5"));
        assert_eq!(value_text(Action::Buy, "0.123").as_deref(), Some("12.3"));
        assert_eq!(value_text(Action::Sell, "7").as_deref(), Some("-700"));
        assert_eq!(value_text(Action::Buy, ".5").as_deref(), Some("50"));
        assert_eq!(value_text(Action::Sell, "0.00").as_deref(), Some("0"));
        assert_eq!(value_text(Action::Sell, "-2.5").as_deref(), Some("250"));
        assert_eq!(
            value_text(Action::Buy, "0.1000001").as_deref(),
            Some("10.00001")
        );
    }

    #[test]
    fn values_of_other_spellings_fall_back_to_floats_without_exponent() {
        assert_eq!(value_text(Action::Buy, "4.178e1").as_deref(), Some("4178"));
        assert_eq!(value_text(Action::Sell, "2.5e-1").as_deref(), Some("-25"));
        assert_eq!(value_text(Action::Buy, "abc"), None);
        assert_eq!(value_text(Action::Buy, "inf"), None);
        assert_eq!(value_text(Action::Buy, "."), None);
        assert_eq!(value_text(Action::Buy, ""), None);
    }

    #[test]
    fn values_are_read_leniently() {
        assert_eq!(parse_value(b"4178"), Some(4178.0));
        assert_eq!(parse_value(b"-4178.0"), Some(-4178.0));
        assert_eq!(parse_value(b"1.5e-2"), Some(0.015));
        assert_eq!(parse_value(b"+3"), Some(3.0));
        assert_eq!(parse_value(b" 12\n"), Some(12.0));
        assert_eq!(parse_value(b"12\0"), Some(12.0));
        assert_eq!(parse_value(b"NaN"), None);
        assert_eq!(parse_value(b"1,5"), None);
        assert_eq!(parse_value(b"\xff"), None);
        assert_eq!(parse_value(b""), None);
    }

    #[test]
    fn actions_are_read_leniently() {
        assert_eq!(Action::parse("1"), Some(Action::Buy));
        assert_eq!(Action::parse("+1"), Some(Action::Buy));
        assert_eq!(Action::parse("-1"), Some(Action::Sell));
        assert_eq!(Action::parse("-1.0"), Some(Action::Sell));
        assert_eq!(Action::parse("SELL"), Some(Action::Sell));
        assert_eq!(Action::parse("0"), None);
        assert_eq!(Action::parse("2"), None);
    }

    #[test]
    fn orders_decode_and_malformed_ones_are_errors() {
        let frames = [b"AAPL".as_slice(), b"-1", b"95.35"];
        let order = parse_order(&frames).unwrap();
        assert_eq!(
            order,
            Order {
                stock: "AAPL",
                action: Action::Sell,
                price: "95.35"
            }
        );
        assert!(parse_order(&[b"AAPL".as_slice(), b"1"]).is_err());
        assert!(parse_order(&[b"AAPL".as_slice(), b"hold", b"1"]).is_err());
        assert!(parse_order(&[b"AAPL".as_slice(), b"1", b"\xff"]).is_err());
    }

    #[test]
    fn results_print_like_python() {
        assert_eq!(format_result(1234.5), "+1234.500");
        assert_eq!(format_result(-0.0004), "-0.000");
        assert_eq!(format_result(0.0), "+0.000");
    }

    #[test]
    fn compensated_sum_ignores_order() {
        let terms: Vec<f64> = (0..10_000)
            .map(|i| (i as f64 * 0.37).sin() * 1e3 + 0.1)
            .collect();
        let (mut a, mut b) = (Sum::default(), Sum::default());
        terms.iter().for_each(|&x| a.add(x));
        terms.iter().rev().for_each(|&x| b.add(x));
        assert_eq!(format_result(a.value()), format_result(b.value()));
    }

    #[test]
    fn generated_prices_stay_positive_and_values_match_expectation() {
        use rand::SeedableRng;
        let mut orders = Orders::new(rand::rngs::StdRng::seed_from_u64(7));
        let (mut expected, mut sum) = (0i64, Sum::default());
        for _ in 0..100_000 {
            let (_, action, cents) = orders.next_order();
            assert!(cents > 0);
            expected += action.sign() * cents;
            let value = value_text(action, &format_cents(cents)).unwrap();
            sum.add(parse_value(value.as_bytes()).unwrap());
        }
        assert_eq!(format_result(sum.value()), format_result(expected as f64));
    }
}
