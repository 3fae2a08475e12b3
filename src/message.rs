//! Messages: an owned `zmq_msg_t`, built from Rust buffers without copying.

use crate::error::{check, Result};
use std::ffi::{c_void, CStr, CString};
use std::fmt;
use std::ops::Deref;

/// One message part (a frame), owning a `zmq_msg_t`.
///
/// It dereferences to `[u8]`. Built from a `Vec<u8>`, `Box<[u8]>`, `String`,
/// `&'static [u8]` or `bytes::Bytes`, it hands that buffer to libzmq without
/// copying, and the buffer is freed (exactly once) when libzmq is done with it.
/// A received message turns into [`bytes::Bytes`] without a copy.
///
/// ```
/// let payload = vec![7u8; 1 << 20];
/// let ptr = payload.as_ptr();
/// let msg = zmq::Message::from(payload);   // no copy
/// assert_eq!(msg.as_ptr(), ptr);
/// assert_eq!(msg.len(), 1 << 20);
/// ```
pub struct Message {
    // In a cell: `zmq_msg_copy` (our `Clone`) writes to its *source* the first
    // time a large message is shared (it sets the shared flag and the
    // reference count, non-atomically). The cell also makes `Message` !Sync,
    // so two threads can never clone one message at the same time.
    //
    // MaybeUninit: libzmq initialises the fields it uses (as C callers rely
    // on), so no 64-byte zero-fill is paid per message.
    raw: std::cell::UnsafeCell<std::mem::MaybeUninit<zmq_sys::zmq_msg_t>>,
}

// SAFETY: a zmq_msg_t is plain data owned by this value; libzmq allows a
// message to move to another thread as long as one thread uses it at a time,
// which ownership guarantees (Message is not Sync). Contents shared by clones
// are reference counted atomically by libzmq once shared.
unsafe impl Send for Message {}

impl Message {
    /// An empty message (`zmq_msg_init`).
    #[inline]
    pub fn new() -> Message {
        let mut raw = std::mem::MaybeUninit::uninit();
        // SAFETY: raw is writable storage for a zmq_msg_t; zmq_msg_init
        // initialises it and always succeeds.
        unsafe { zmq_sys::zmq_msg_init(raw.as_mut_ptr()) };
        Message::wrap(raw)
    }

    /// Wraps storage that a `zmq_msg_init*` call has initialised.
    #[inline]
    fn wrap(raw: std::mem::MaybeUninit<zmq_sys::zmq_msg_t>) -> Message {
        Message {
            raw: std::cell::UnsafeCell::new(raw),
        }
    }

    #[inline]
    fn raw_mut(&mut self) -> *mut zmq_sys::zmq_msg_t {
        self.raw.get_mut().as_mut_ptr()
    }

    #[inline]
    pub(crate) fn raw_ptr(&self) -> *mut zmq_sys::zmq_msg_t {
        self.raw.get().cast()
    }

    /// A message holding a copy of `data` (`zmq_msg_init_size` and one copy).
    #[inline]
    pub fn from_slice(data: &[u8]) -> Message {
        let mut msg = Message::alloc(data.len());
        // SAFETY: alloc gave `data.len()` writable bytes at msg's data pointer,
        // which cannot overlap `data` (a fresh allocation or inline storage).
        unsafe {
            std::ptr::copy_nonoverlapping(data.as_ptr(), msg.data_ptr(), data.len());
        }
        msg
    }

    /// A message of `size` zero bytes.
    #[inline]
    pub fn with_size(size: usize) -> Message {
        let mut msg = Message::alloc(size);
        // SAFETY: alloc gave `size` writable bytes at msg's data pointer.
        unsafe { std::ptr::write_bytes(msg.data_ptr(), 0, size) };
        msg
    }

    /// A message of `size` bytes (zeroed), then written by `fill`.
    ///
    /// ```
    /// let msg = zmq::Message::build(4, |buf| buf.copy_from_slice(b"ping"));
    /// assert_eq!(&msg[..], b"ping");
    /// ```
    pub fn build(size: usize, fill: impl FnOnce(&mut [u8])) -> Message {
        let mut msg = Message::with_size(size);
        // SAFETY: msg is uniquely owned and not shared yet; its `size` bytes are
        // initialised and writable.
        let buf = unsafe { std::slice::from_raw_parts_mut(msg.data_ptr(), size) };
        fill(buf);
        msg
    }

    #[inline]
    fn alloc(size: usize) -> Message {
        let mut raw = std::mem::MaybeUninit::uninit();
        // SAFETY: raw is writable storage for a zmq_msg_t, which
        // zmq_msg_init_size initialises when it succeeds.
        let rc = unsafe { zmq_sys::zmq_msg_init_size(raw.as_mut_ptr(), size) };
        if rc == -1 {
            std::alloc::handle_alloc_error(
                std::alloc::Layout::from_size_align(size.max(1), 1)
                    .unwrap_or(std::alloc::Layout::new::<u8>()),
            );
        }
        Message::wrap(raw)
    }

    /// Hands `len` bytes at `data` to libzmq; `free(data, hint)` runs once when
    /// libzmq releases them.
    ///
    /// # Safety
    /// `data` must stay valid and unchanged until `free` runs; `free` must not unwind.
    unsafe fn from_raw_parts(
        data: *mut u8,
        len: usize,
        free: zmq_sys::zmq_free_fn,
        hint: *mut c_void,
    ) -> Message {
        let mut raw = std::mem::MaybeUninit::uninit();
        // SAFETY: per this function's contract; raw is writable storage that
        // zmq_msg_init_data initialises. It only fails on allocation failure
        // of its small content header.
        let rc =
            unsafe { zmq_sys::zmq_msg_init_data(raw.as_mut_ptr(), data.cast(), len, free, hint) };
        if rc == -1 {
            std::alloc::handle_alloc_error(std::alloc::Layout::new::<[usize; 4]>());
        }
        Message::wrap(raw)
    }

    #[inline]
    pub(crate) fn as_mut_ptr(&mut self) -> *mut zmq_sys::zmq_msg_t {
        self.raw_mut()
    }

    #[inline]
    fn data_ptr(&mut self) -> *mut u8 {
        // SAFETY: raw is an initialised message.
        unsafe { zmq_sys::zmq_msg_data(self.raw_mut()).cast() }
    }

    /// The number of bytes (`zmq_msg_size`).
    #[inline]
    pub fn len(&self) -> usize {
        // SAFETY: raw is an initialised message; zmq_msg_size only reads it.
        unsafe { zmq_sys::zmq_msg_size(self.raw_ptr()) }
    }

    /// True for a zero-length message.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The bytes of the message.
    #[inline]
    pub fn as_bytes(&self) -> &[u8] {
        let len = self.len();
        // SAFETY: zmq_msg_data only reads the message to return its data
        // pointer; the cell allows the *mut its signature asks for, and no
        // other thread can touch the message (Message is not Sync).
        let ptr = unsafe { zmq_sys::zmq_msg_data(self.raw_ptr()) };
        if len == 0 || ptr.is_null() {
            return &[];
        }
        // SAFETY: libzmq guarantees `len` readable bytes at `ptr`, alive as
        // long as the message, which the returned borrow outlives not.
        unsafe { std::slice::from_raw_parts(ptr.cast::<u8>(), len) }
    }

    /// The message as UTF-8 text, or `None` if it is not valid UTF-8.
    #[must_use]
    pub fn as_str(&self) -> Option<&str> {
        std::str::from_utf8(self).ok()
    }

    /// Whether more parts of a multipart message follow this one (`zmq_msg_more`).
    pub fn more(&self) -> bool {
        // SAFETY: raw is an initialised message; zmq_msg_more only reads it.
        unsafe { zmq_sys::zmq_msg_more(self.raw_ptr()) != 0 }
    }

    /// A metadata property of a received message (`zmq_msg_gets`), as bytes:
    /// `"Socket-Type"`, `"Routing-Id"`, `"User-Id"`, `"Peer-Address"`, or any
    /// property a ZAP handler attached. `None` if absent.
    #[must_use]
    pub fn property_bytes(&self, name: &str) -> Option<&[u8]> {
        let name = CString::new(name).ok()?;
        // SAFETY: zmq_msg_gets only reads the message's metadata; the name is a
        // valid C string.
        let value = unsafe { zmq_sys::zmq_msg_gets(self.raw_ptr(), name.as_ptr()) };
        if value.is_null() {
            return None;
        }
        // SAFETY: a non-NULL result is a NUL-terminated string owned by the
        // message's metadata, which lives at least as long as the message.
        Some(unsafe { CStr::from_ptr(value) }.to_bytes())
    }

    /// A metadata property as text; `None` if absent or not UTF-8.
    #[must_use]
    pub fn property(&self, name: &str) -> Option<&str> {
        self.property_bytes(name)
            .and_then(|b| std::str::from_utf8(b).ok())
    }

    /// The `User-Id` property: the authenticated identity of the peer (set by a
    /// ZAP handler: a PLAIN username, or a CURVE client's Z85 public key).
    #[must_use]
    pub fn user_id(&self) -> Option<&str> {
        self.property("User-Id")
    }

    /// The `Peer-Address` property: the IP address of the peer.
    #[must_use]
    pub fn peer_address(&self) -> Option<&str> {
        self.property("Peer-Address")
    }

    /// The `Socket-Type` property: the peer's socket type name, e.g. `"DEALER"`.
    pub fn socket_type(&self) -> Option<&str> {
        self.property("Socket-Type")
    }

    /// The routing id the sending peer announced in its handshake (its
    /// `RoutingId` option), from the message's metadata; `None` if it set none.
    ///
    /// ZMTP calls this property `Routing-Id`, but libzmq 4.3.5 stores it under
    /// its older name `Identity`; both are asked for. This is a property of the
    /// *connection*, readable on any socket type. It is not the draft
    /// `zmq_msg_routing_id` (the number a SERVER socket stamps on each
    /// message), which has its own, differently named method. Over `inproc://`
    /// there is no handshake, hence no metadata: `None`.
    ///
    /// ```
    /// let ctx = zmq::Context::new();
    /// let router = ctx.socket(zmq::SocketType::Router)?;
    /// router.bind("tcp://127.0.0.1:*")?;
    /// let dealer = ctx.socket(zmq::SocketType::Dealer)?;
    /// dealer.set(zmq::opt::RoutingId, "dealer-7")?;
    /// dealer.connect(&router.last_endpoint()?)?;
    /// dealer.send("hi")?;
    /// let parts = router.recv_multipart()?;
    /// assert_eq!(parts[1].routing_id(), Some(&b"dealer-7"[..]));
    /// # Ok::<(), zmq::Error>(())
    /// ```
    #[must_use]
    pub fn routing_id(&self) -> Option<&[u8]> {
        self.property_bytes("Routing-Id")
            .or_else(|| self.property_bytes("Identity"))
    }

    /// The message data as an owned `Vec` (one copy).
    #[must_use]
    pub fn to_vec(&self) -> Vec<u8> {
        self.as_bytes().to_vec()
    }

    /// Copies `other`'s contents into a fresh message sharing its buffer
    /// (`zmq_msg_copy`).
    #[inline]
    fn try_clone(&self) -> Result<Message> {
        let mut copy = Message::new();
        // SAFETY: both messages are initialised; zmq_msg_copy makes `copy`
        // share the source's content and may write the source's shared flag
        // and reference count, which the cell permits; Message is not Sync, so
        // no other thread is using the source.
        let rc = unsafe { zmq_sys::zmq_msg_copy(copy.raw_mut(), self.raw_ptr()) };
        check(rc, "zmq_msg_copy").map(|_| copy)
    }
}

impl Default for Message {
    fn default() -> Message {
        Message::new()
    }
}

impl Drop for Message {
    #[inline]
    fn drop(&mut self) {
        // SAFETY: raw is initialised and closed only here; close cannot fail on
        // a valid message.
        unsafe { zmq_sys::zmq_msg_close(self.raw_mut()) };
    }
}

impl Clone for Message {
    /// Shares the buffer (`zmq_msg_copy`); no payload is copied.
    #[inline]
    fn clone(&self) -> Message {
        self.try_clone()
            .unwrap_or_else(|_| Message::from_slice(self))
    }
}

impl Deref for Message {
    type Target = [u8];
    #[inline]
    fn deref(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl AsRef<[u8]> for Message {
    fn as_ref(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl PartialEq for Message {
    fn eq(&self, other: &Message) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl Eq for Message {}

impl PartialEq<[u8]> for Message {
    fn eq(&self, other: &[u8]) -> bool {
        self.as_bytes() == other
    }
}

impl PartialEq<&[u8]> for Message {
    fn eq(&self, other: &&[u8]) -> bool {
        self.as_bytes() == *other
    }
}

impl PartialEq<str> for Message {
    fn eq(&self, other: &str) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl PartialEq<&str> for Message {
    fn eq(&self, other: &&str) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl<const N: usize> PartialEq<[u8; N]> for Message {
    fn eq(&self, other: &[u8; N]) -> bool {
        self.as_bytes() == other
    }
}

impl<const N: usize> PartialEq<&[u8; N]> for Message {
    fn eq(&self, other: &&[u8; N]) -> bool {
        self.as_bytes() == *other
    }
}

impl fmt::Debug for Message {
    /// Shows the length, the more flag and a preview of the first 48 bytes,
    /// non-printable bytes escaped.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const PREVIEW: usize = 48;
        let bytes = self.as_bytes();
        let shown = &bytes[..bytes.len().min(PREVIEW)];
        let ellipsis = if bytes.len() > PREVIEW { "…" } else { "" };
        write!(
            f,
            "Message({} bytes{}, b\"{}\"{})",
            bytes.len(),
            if self.more() { ", more" } else { "" },
            shown.escape_ascii(),
            ellipsis
        )
    }
}

/// Runs a buffer release from libzmq's free callback, never unwinding into C.
fn release(f: impl FnOnce()) {
    if std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).is_err() {
        // A destructor panicked inside a C callback: unwinding further is
        // undefined behaviour, so stop here.
        std::process::abort();
    }
}

/// libzmq's free callback for a `Vec<u8>`: `hint` carries the capacity.
unsafe extern "C" fn free_vec(data: *mut c_void, hint: *mut c_void) {
    release(|| {
        // SAFETY: `data` and the capacity in `hint` come from a Vec<u8> that was
        // leaked in `From<Vec<u8>>`; libzmq calls this exactly once. Length 0
        // is valid for u8, which needs no drop.
        drop(unsafe { Vec::from_raw_parts(data.cast::<u8>(), 0, hint as usize) });
    });
}

/// libzmq's free callback for a `Bytes`: `hint` is the boxed `Bytes`.
unsafe extern "C" fn free_bytes(_data: *mut c_void, hint: *mut c_void) {
    release(|| {
        // SAFETY: `hint` is the Box<Bytes> leaked in `From<Bytes>`; called once.
        drop(unsafe { Box::from_raw(hint.cast::<bytes::Bytes>()) });
    });
}

impl From<Vec<u8>> for Message {
    /// Hands the vector's buffer to libzmq without copying.
    fn from(vec: Vec<u8>) -> Message {
        if vec.capacity() == 0 {
            return Message::new();
        }
        let mut vec = std::mem::ManuallyDrop::new(vec);
        let (ptr, len, cap) = (vec.as_mut_ptr(), vec.len(), vec.capacity());
        // SAFETY: the Vec is leaked (ManuallyDrop) and reclaimed by free_vec
        // with its pointer and capacity; free_vec never unwinds.
        unsafe { Message::from_raw_parts(ptr, len, Some(free_vec), cap as *mut c_void) }
    }
}

impl From<Box<[u8]>> for Message {
    /// Hands the buffer to libzmq without copying.
    fn from(data: Box<[u8]>) -> Message {
        Message::from(Vec::from(data))
    }
}

impl From<String> for Message {
    /// Hands the string's buffer to libzmq without copying.
    fn from(text: String) -> Message {
        Message::from(text.into_bytes())
    }
}

impl From<&'static [u8]> for Message {
    /// Points libzmq at the static bytes: no copy and nothing to free.
    fn from(data: &'static [u8]) -> Message {
        if data.is_empty() {
            return Message::new();
        }
        // SAFETY: static data lives forever and is never written by libzmq (a
        // message's data is only read when sent); no free function is needed.
        unsafe {
            Message::from_raw_parts(
                data.as_ptr().cast_mut(),
                data.len(),
                None,
                std::ptr::null_mut(),
            )
        }
    }
}

impl From<&'static str> for Message {
    /// Points libzmq at the static text: no copy.
    fn from(text: &'static str) -> Message {
        Message::from(text.as_bytes())
    }
}

impl<const N: usize> From<&'static [u8; N]> for Message {
    /// Points libzmq at the static bytes: no copy.
    fn from(data: &'static [u8; N]) -> Message {
        Message::from(&data[..])
    }
}

impl From<bytes::Bytes> for Message {
    /// Hands the `Bytes` to libzmq without copying; it is dropped when libzmq
    /// releases the message.
    fn from(data: bytes::Bytes) -> Message {
        if data.is_empty() {
            return Message::new();
        }
        let (ptr, len) = (data.as_ptr().cast_mut(), data.len());
        let owner = Box::into_raw(Box::new(data));
        // SAFETY: the Bytes (whose buffer does not move) lives in the leaked
        // box until free_bytes reclaims it; free_bytes never unwinds.
        unsafe { Message::from_raw_parts(ptr, len, Some(free_bytes), owner.cast()) }
    }
}

impl From<bytes::BytesMut> for Message {
    /// Freezes the buffer and hands it to libzmq without copying.
    fn from(data: bytes::BytesMut) -> Message {
        Message::from(data.freeze())
    }
}

impl From<Message> for bytes::Bytes {
    /// Wraps the message without copying: the `Bytes` owns it.
    fn from(msg: Message) -> bytes::Bytes {
        bytes::Bytes::from_owner(msg)
    }
}

impl From<Message> for Vec<u8> {
    /// Copies the data out.
    fn from(msg: Message) -> Vec<u8> {
        msg.to_vec()
    }
}

impl From<&Message> for Message {
    /// Shares the buffer, as `clone` does.
    fn from(msg: &Message) -> Message {
        msg.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_shows_a_preview() {
        let msg = Message::from_slice(b"hi\x00there");
        assert_eq!(format!("{msg:?}"), "Message(8 bytes, b\"hi\\x00there\")");
    }

    #[test]
    fn clone_shares_the_buffer() {
        let msg = Message::from(vec![1u8; 4096]);
        let copy = msg.clone();
        assert_eq!(msg.as_ptr(), copy.as_ptr());
    }

    #[test]
    fn properties_of_a_fresh_message_are_absent_not_a_panic() {
        let msg = Message::from_slice(b"x");
        assert_eq!(msg.property("User-Id"), None);
        assert_eq!(msg.property("bad\0name"), None);
    }
}
