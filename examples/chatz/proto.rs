//! The chatz wire protocol (see `docs/PROTOCOLS.md`): requests, replies and
//! broadcasts, as pure functions over bytes.
//!
//! - A request is one UTF-8 frame: `handle` (a keep-alive) or
//!   `handle SEP message` (a post).
//! - The reply is the sorted list of live handles, one frame each. An empty
//!   list (possible only after a bad request when nobody is live) is sent as a
//!   single empty frame, because a ZeroMQ message has at least one frame and
//!   no handle is empty; readers skip empty frames.
//! - A broadcast is the post's frame, republished verbatim.

/// The separator we send: U+001F, the outline's `\037`.
pub const SEP: char = '\u{1f}';
/// The separator of the 2014 clients, U+221E (`∞`); accepted everywhere.
pub const ALT_SEP: char = '\u{221e}';
/// The longest handle the server accepts, in characters.
pub const MAX_HANDLE_CHARS: usize = 64;
/// The largest request the server accepts (a post with its handle), in bytes.
pub const MAX_REQUEST_BYTES: usize = 64 * 1024;

fn is_sep(c: char) -> bool {
    c == SEP || c == ALT_SEP
}

/// A well-formed request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request<'a> {
    /// Only the handle: "I am still here".
    KeepAlive { handle: &'a str },
    /// A message for everyone.
    Post { handle: &'a str, message: &'a str },
}

impl<'a> Request<'a> {
    /// The handle the request comes from.
    pub fn handle(&self) -> &'a str {
        match *self {
            Request::KeepAlive { handle } | Request::Post { handle, .. } => handle,
        }
    }
}

/// Why a request was refused (it is still answered, with the user list).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BadRequest {
    /// The body was not exactly one frame.
    FrameCount(usize),
    /// Larger than [`MAX_REQUEST_BYTES`].
    TooLarge(usize),
    /// Not UTF-8.
    InvalidUtf8,
    /// No handle before the separator (or an empty frame).
    EmptyHandle,
    /// More than one separator.
    TooManySeparators(usize),
    /// A handle with control characters, surrounding blanks, or too long.
    InvalidHandle,
}

impl std::fmt::Display for BadRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BadRequest::FrameCount(n) => write!(f, "expected one frame, got {n}"),
            BadRequest::TooLarge(n) => {
                write!(f, "{n} bytes, more than the {MAX_REQUEST_BYTES} allowed")
            }
            BadRequest::InvalidUtf8 => f.write_str("not valid UTF-8"),
            BadRequest::EmptyHandle => f.write_str("empty handle"),
            BadRequest::TooManySeparators(n) => write!(f, "{n} separators, at most one allowed"),
            BadRequest::InvalidHandle => write!(
                f,
                "invalid handle (control characters, surrounding blanks, or over {MAX_HANDLE_CHARS} characters)"
            ),
        }
    }
}

/// Checks a handle as the server would: non-empty, at most
/// [`MAX_HANDLE_CHARS`], no control characters or separators, no
/// surrounding whitespace.
pub fn check_handle(handle: &str) -> Result<(), BadRequest> {
    if handle.is_empty() {
        return Err(BadRequest::EmptyHandle);
    }
    if handle.chars().count() > MAX_HANDLE_CHARS
        || handle.chars().any(|c| c.is_control() || is_sep(c))
        || handle.trim() != handle
    {
        return Err(BadRequest::InvalidHandle);
    }
    Ok(())
}

/// Parses one request body frame.
pub fn parse_request(body: &[u8]) -> Result<Request<'_>, BadRequest> {
    if body.len() > MAX_REQUEST_BYTES {
        return Err(BadRequest::TooLarge(body.len()));
    }
    let text = std::str::from_utf8(body).map_err(|_| BadRequest::InvalidUtf8)?;
    let separators = text.chars().filter(|&c| is_sep(c)).count();
    if separators > 1 {
        return Err(BadRequest::TooManySeparators(separators));
    }
    match text.split_once(is_sep) {
        None => {
            check_handle(text)?;
            Ok(Request::KeepAlive { handle: text })
        }
        Some((handle, message)) => {
            check_handle(handle)?;
            Ok(Request::Post { handle, message })
        }
    }
}

/// Encodes a keep-alive.
pub fn keep_alive(handle: &str) -> String {
    handle.to_owned()
}

/// Encodes a post, with U+001F. Separators inside `message` are replaced by
/// spaces: the protocol cannot carry them.
pub fn post(handle: &str, message: &str) -> String {
    let clean: String = message
        .chars()
        .map(|c| if is_sep(c) { ' ' } else { c })
        .collect();
    format!("{handle}{SEP}{clean}")
}

/// The frames of a reply listing `handles` (already sorted): one per handle,
/// or one empty frame for an empty list.
pub fn reply_frames(handles: &[String]) -> Vec<Vec<u8>> {
    if handles.is_empty() {
        vec![Vec::new()]
    } else {
        handles.iter().map(|h| h.as_bytes().to_vec()).collect()
    }
}

/// Reads a reply into the list of handles, skipping empty and non-UTF-8 frames.
pub fn parse_reply<T: AsRef<[u8]>>(frames: &[T]) -> Vec<String> {
    frames
        .iter()
        .filter_map(|f| std::str::from_utf8(f.as_ref()).ok())
        .filter(|h| !h.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Splits a broadcast frame into `(handle, message)` on the first separator
/// of either kind; `None` when it is not UTF-8 or has no separator.
pub fn parse_broadcast(frame: &[u8]) -> Option<(&str, &str)> {
    let text = std::str::from_utf8(frame).ok()?;
    text.split_once(is_sep)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keep_alive_is_just_the_handle() {
        assert_eq!(
            parse_request(b"alice"),
            Ok(Request::KeepAlive { handle: "alice" })
        );
        assert_eq!(keep_alive("alice"), "alice");
    }

    #[test]
    fn post_round_trips_with_unit_separator() {
        let wire = post("alice", "hello, world");
        assert_eq!(wire.as_bytes(), b"alice\x1fhello, world");
        let req = parse_request(wire.as_bytes()).unwrap();
        assert_eq!(
            req,
            Request::Post {
                handle: "alice",
                message: "hello, world"
            }
        );
        assert_eq!(req.handle(), "alice");
    }

    #[test]
    fn infinity_separator_of_2014_is_accepted() {
        let wire = "bob\u{221e}hi there".as_bytes();
        assert_eq!(wire[3..6], [0xE2, 0x88, 0x9E]);
        assert_eq!(
            parse_request(wire),
            Ok(Request::Post {
                handle: "bob",
                message: "hi there"
            })
        );
        assert_eq!(parse_broadcast(wire), Some(("bob", "hi there")));
    }

    #[test]
    fn messages_may_hold_newlines_and_be_empty() {
        assert_eq!(
            parse_request(b"a\x1fline 1\nline 2"),
            Ok(Request::Post {
                handle: "a",
                message: "line 1\nline 2"
            })
        );
        assert_eq!(
            parse_request(b"a\x1f"),
            Ok(Request::Post {
                handle: "a",
                message: ""
            })
        );
    }

    #[test]
    fn bad_requests_are_named() {
        assert_eq!(parse_request(b""), Err(BadRequest::EmptyHandle));
        assert_eq!(parse_request(b"\x1fhi"), Err(BadRequest::EmptyHandle));
        assert_eq!(parse_request(b"a\xff"), Err(BadRequest::InvalidUtf8));
        assert_eq!(
            parse_request(b"a\x1fb\x1fc"),
            Err(BadRequest::TooManySeparators(2))
        );
        assert_eq!(
            parse_request("a\x1fb\u{221e}c".as_bytes()),
            Err(BadRequest::TooManySeparators(2))
        );
        assert_eq!(parse_request(b"al\nice"), Err(BadRequest::InvalidHandle));
        assert_eq!(parse_request(b" alice"), Err(BadRequest::InvalidHandle));
        assert_eq!(
            parse_request("x".repeat(65).as_bytes()),
            Err(BadRequest::InvalidHandle)
        );
        let big = vec![b'a'; 100 * 1024];
        assert_eq!(parse_request(&big), Err(BadRequest::TooLarge(100 * 1024)));
    }

    #[test]
    fn posts_cannot_smuggle_separators() {
        assert_eq!(post("a", "x\x1fy\u{221e}z"), "a\x1fx y z");
    }

    #[test]
    fn empty_reply_is_one_empty_frame() {
        assert_eq!(reply_frames(&[]), vec![Vec::<u8>::new()]);
        let users = vec!["alice".to_owned(), "bob".to_owned()];
        assert_eq!(
            reply_frames(&users),
            vec![b"alice".to_vec(), b"bob".to_vec()]
        );
        assert_eq!(parse_reply(&reply_frames(&users)), users);
        assert!(parse_reply(&reply_frames(&[])).is_empty());
    }

    #[test]
    fn broadcast_without_separator_is_ignored() {
        assert_eq!(parse_broadcast(b"just text"), None);
        assert_eq!(parse_broadcast(b"\xff\x1fx"), None);
    }
}
