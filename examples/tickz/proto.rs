//! The tickz wire protocol (see `docs/PROTOCOLS.md`): one tick is three
//! frames, `[symbol][timestamp: f64 LE seconds][price: f64 LE]`.
//!
//! The 2014 C server sent the timestamp as a little-endian `i64` of whole
//! seconds. Both are 8 bytes; they are told apart by plausibility: the bits
//! of an epoch time as an `f64` read as an `i64` are ~4.7e18, and an `i64`
//! epoch read as an `f64` is a subnormal near 1e-314, so at most one reading
//! falls in [`PLAUSIBLE_EPOCH`].

use std::ops::RangeInclusive;

/// The symbols and opening prices of the talk.
pub const SYMBOLS: [(&str, f64); 5] = [
    ("MSFT", 41.78),
    ("AAPL", 95.35),
    ("GOOG", 571.09),
    ("YHOO", 34.53),
    ("BBRY", 10.90),
];

/// Epoch seconds we believe: from 1971 to 2286.
pub const PLAUSIBLE_EPOCH: RangeInclusive<f64> = 31_536_000.0..=10_000_000_000.0;

/// How the timestamp frame was encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeFormat {
    /// Our format (and the outline's): f64 seconds.
    Float,
    /// The 2014 C server's: i64 whole seconds.
    Integer,
}

/// One decoded tick.
#[derive(Debug, Clone, PartialEq)]
pub struct Tick {
    pub symbol: String,
    /// Seconds since the Unix epoch.
    pub time: f64,
    pub format: TimeFormat,
    pub price: f64,
}

/// Why a message is not a tick.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TickError {
    FrameCount(usize),
    BadSymbol,
    BadTimestamp,
    BadPrice,
    /// A RADIO/DISH datagram whose body is not the 16 bytes of a tick.
    DatagramSize(usize),
}

/// The longest symbol, in characters (real tickers have at most 5 or 6;
/// the page's input takes 12). Longer ones are refused everywhere: on the
/// command line, in the TUI, in dealz's page, and in ticks off the wire.
pub const MAX_SYMBOL_CHARS: usize = 12;

/// The most symbols one client follows at once (the tickz TUI, a dealz
/// desk): each is a subscription on the server and a card on the screen.
pub const MAX_FOLLOWED: usize = 32;

/// How much of a bad input an error message quotes, in characters.
pub const QUOTED_CHARS: usize = 24;

/// `text` as an error message quotes it: in Rust's `{:?}` form if it is
/// short, else its first [`QUOTED_CHARS`] characters, an ellipsis and its
/// length, so that a 10 MB input never comes back whole.
pub fn quoted(text: &str) -> String {
    let chars = text.chars().count();
    if chars <= QUOTED_CHARS {
        return format!("{text:?}");
    }
    let head: String = text.chars().take(QUOTED_CHARS).collect();
    format!("{head:?}… ({chars} characters)")
}

/// Checks a symbol: ASCII `[A-Z][A-Z0-9]+`, at most [`MAX_SYMBOL_CHARS`].
pub fn check_symbol(symbol: &str) -> Result<(), String> {
    let bytes = symbol.as_bytes();
    let ok = bytes.len() >= 2
        && bytes.len() <= MAX_SYMBOL_CHARS
        && bytes[0].is_ascii_uppercase()
        && bytes[1..]
            .iter()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{} is not a symbol: expected [A-Z][A-Z0-9]+ of at most {MAX_SYMBOL_CHARS} characters, e.g. AAPL",
            quoted(symbol)
        ))
    }
}

/// A symbol as a user typed it (on the command line or in the TUI): lower
/// case is raised, surrounding blanks are dropped, and the result must pass
/// [`check_symbol`]. The one validation of user input, for both front ends
/// and for dealz's page.
pub fn parse_symbol(typed: &str) -> Result<String, String> {
    let symbol = typed.trim().to_ascii_uppercase();
    check_symbol(&symbol).map_err(|_| {
        format!(
            "{} is not a symbol: expected [A-Z][A-Z0-9]+ of at most {MAX_SYMBOL_CHARS} characters (lower case is raised), e.g. AAPL",
            quoted(typed)
        )
    })?;
    Ok(symbol)
}

/// Checks that no symbol is a prefix of another (SUB filters are prefixes).
pub fn check_prefix_free(symbols: &[&str]) -> Result<(), String> {
    for a in symbols {
        for b in symbols {
            if a != b && b.starts_with(a) {
                return Err(format!(
                    "{a} is a prefix of {b}: subscribers to {a} would get {b}"
                ));
            }
        }
    }
    Ok(())
}

/// The three frames of a tick, in our format.
pub fn encode(symbol: &str, time: f64, price: f64) -> [Vec<u8>; 3] {
    [
        symbol.as_bytes().to_vec(),
        time.to_le_bytes().to_vec(),
        price.to_le_bytes().to_vec(),
    ]
}

/// The body of a tick sent over RADIO/DISH (`--radio`, `--dish`): the
/// timestamp and price frames of [`encode`], back to back (16 bytes). The
/// symbol travels as the message's group; RADIO/DISH carry one frame only.
#[allow(dead_code)] // used by the RADIO path only, which needs draft
pub fn encode_datagram(time: f64, price: f64) -> [u8; 16] {
    let mut body = [0; 16];
    body[..8].copy_from_slice(&time.to_le_bytes());
    body[8..].copy_from_slice(&price.to_le_bytes());
    body
}

/// Decodes a tick received over DISH: its group is the symbol, its body
/// what [`encode_datagram`] made; checked as [`decode`] checks frames.
#[allow(dead_code)] // used by the DISH path only, which needs draft
pub fn decode_datagram(group: &[u8], body: &[u8]) -> Result<Tick, TickError> {
    if body.len() != 16 {
        return Err(TickError::DatagramSize(body.len()));
    }
    let (time, price) = body.split_at(8);
    decode(&[group, time, price])
}

/// Reads a timestamp frame in either format.
pub fn decode_time(frame: &[u8]) -> Option<(f64, TimeFormat)> {
    let bytes: [u8; 8] = frame.try_into().ok()?;
    let float = f64::from_le_bytes(bytes);
    if PLAUSIBLE_EPOCH.contains(&float) {
        return Some((float, TimeFormat::Float));
    }
    let integer = i64::from_le_bytes(bytes) as f64;
    PLAUSIBLE_EPOCH
        .contains(&integer)
        .then_some((integer, TimeFormat::Integer))
}

/// Decodes a message; anything but a well-formed tick is an error, never a panic.
pub fn decode<T: AsRef<[u8]>>(frames: &[T]) -> Result<Tick, TickError> {
    let [symbol, time, price] = frames else {
        return Err(TickError::FrameCount(frames.len()));
    };
    let symbol = std::str::from_utf8(symbol.as_ref()).map_err(|_| TickError::BadSymbol)?;
    check_symbol(symbol).map_err(|_| TickError::BadSymbol)?;
    let (time, format) = decode_time(time.as_ref()).ok_or(TickError::BadTimestamp)?;
    let price: [u8; 8] = price.as_ref().try_into().map_err(|_| TickError::BadPrice)?;
    let price = f64::from_le_bytes(price);
    if !(price.is_finite() && price > 0.0) {
        return Err(TickError::BadPrice);
    }
    Ok(Tick {
        symbol: symbol.to_owned(),
        time,
        format,
        price,
    })
}

/// One step of the random walk: `step` is drawn from [-1, 1). A step that
/// would reach zero or below is taken the other way, so prices stay positive.
pub fn walk(price: f64, step: f64) -> f64 {
    let next = price + step;
    if next > 0.0 {
        next
    } else {
        price - step
    }
}

/// The `--plain` line: `SYMBOL PRICE TIME`, price with three decimals, time in UTC.
pub fn plain_line(tick: &Tick) -> String {
    format!(
        "{} {:.3} {}",
        tick.symbol,
        tick.price,
        super::clock::iso_utc(tick.time)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symbols_follow_the_pattern() {
        for (s, _) in SYMBOLS {
            check_symbol(s).unwrap();
        }
        check_symbol("BRK2").unwrap();
        for bad in ["", "A", "aapl", "1ABC", "AB-C", "ÄPPL", "AAPL "] {
            assert!(check_symbol(bad).is_err(), "{bad:?}");
        }
        check_symbol(&"A".repeat(MAX_SYMBOL_CHARS)).unwrap();
        assert!(check_symbol(&"A".repeat(MAX_SYMBOL_CHARS + 1)).is_err());
    }

    #[test]
    fn errors_quote_only_a_short_prefix_of_bad_input() {
        let long = "X".repeat(10_000);
        let why = parse_symbol(&long).unwrap_err();
        assert!(why.len() < 200, "{why}");
        assert!(why.contains("(10000 characters)"), "{why}");
        assert_eq!(quoted("bad sym!"), "\"bad sym!\"");
        assert_eq!(
            quoted(&"é".repeat(30))
                .chars()
                .filter(|&c| c == 'é')
                .count(),
            QUOTED_CHARS
        );
    }

    #[test]
    fn the_talks_symbols_are_prefix_free() {
        let names: Vec<&str> = SYMBOLS.iter().map(|(s, _)| *s).collect();
        check_prefix_free(&names).unwrap();
        assert!(check_prefix_free(&["AAPL", "AAPLX"]).is_err());
    }

    #[test]
    fn ticks_round_trip() {
        let frames = encode("AAPL", 1_402_597_805.25, 95.35);
        assert_eq!(frames[1].len(), 8);
        let tick = decode(&frames).unwrap();
        assert_eq!(
            tick,
            Tick {
                symbol: "AAPL".into(),
                time: 1_402_597_805.25,
                format: TimeFormat::Float,
                price: 95.35
            }
        );
    }

    #[test]
    fn datagrams_carry_the_frames_after_the_symbol() {
        let body = encode_datagram(1_402_597_805.25, 95.35);
        let frames = encode("AAPL", 1_402_597_805.25, 95.35);
        assert_eq!(body[..8], frames[1][..]);
        assert_eq!(body[8..], frames[2][..]);
        assert_eq!(
            decode_datagram(b"AAPL", &body),
            decode(&frames),
            "the same tick either way"
        );
        assert_eq!(
            decode_datagram(b"AAPL", &body[..15]),
            Err(TickError::DatagramSize(15))
        );
        assert_eq!(decode_datagram(b"", &body), Err(TickError::BadSymbol));
    }

    #[test]
    fn integer_timestamps_of_2014_are_recognised() {
        let frames = [
            b"MSFT".to_vec(),
            1_402_597_805i64.to_le_bytes().to_vec(),
            41.78f64.to_le_bytes().to_vec(),
        ];
        let tick = decode(&frames).unwrap();
        assert_eq!(tick.format, TimeFormat::Integer);
        assert_eq!(tick.time, 1_402_597_805.0);
    }

    #[test]
    fn implausible_or_short_timestamps_are_refused() {
        assert_eq!(decode_time(&0f64.to_le_bytes()), None);
        assert_eq!(decode_time(&(-5i64).to_le_bytes()), None);
        assert_eq!(decode_time(&f64::NAN.to_le_bytes()), None);
        assert_eq!(decode_time(&[1, 2, 3, 4]), None);
    }

    #[test]
    fn malformed_ticks_are_errors() {
        let t = 1_700_000_000f64.to_le_bytes().to_vec();
        let p = 10f64.to_le_bytes().to_vec();
        assert_eq!(
            decode(&[b"AAPL".to_vec(), t.clone()]),
            Err(TickError::FrameCount(2))
        );
        assert_eq!(
            decode(&[b"aapl".to_vec(), t.clone(), p.clone()]),
            Err(TickError::BadSymbol)
        );
        assert_eq!(
            decode(&[b"AAPL".to_vec(), vec![0; 7], p.clone()]),
            Err(TickError::BadTimestamp)
        );
        assert_eq!(
            decode(&[b"AAPL".to_vec(), t.clone(), vec![1]]),
            Err(TickError::BadPrice)
        );
        let negative = (-1f64).to_le_bytes().to_vec();
        assert_eq!(
            decode(&[b"AAPL".to_vec(), t, negative]),
            Err(TickError::BadPrice)
        );
    }

    #[test]
    fn prices_stay_positive() {
        assert_eq!(walk(10.0, 0.5), 10.5);
        assert_eq!(walk(0.3, -0.5), 0.8);
        let mut price = 0.01;
        for i in 0..10_000 {
            price = walk(price, if i % 3 == 0 { 0.9 } else { -0.99 });
            assert!(price > 0.0);
        }
    }

    #[test]
    fn plain_line_has_three_decimals_and_utc_time() {
        let tick = Tick {
            symbol: "GOOG".into(),
            time: 1_402_597_805.0,
            format: TimeFormat::Integer,
            price: 571.0,
        };
        assert_eq!(plain_line(&tick), "GOOG 571.000 2014-06-12T18:30:05.000Z");
    }
}
