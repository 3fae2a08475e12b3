//! Zero-copy: owned buffers go to libzmq and back without a copy, and are
//! freed exactly once.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use zmq::{Context, Message, SocketType};

/// Counts frees of one watched address, and bytes allocated in large blocks.
struct Tracking;

static WATCHED: AtomicUsize = AtomicUsize::new(0);
static FREES_OF_WATCHED: AtomicUsize = AtomicUsize::new(0);
static LARGE_ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);
/// Tests share the counters, so they run one at a time.
static SERIAL: Mutex<()> = Mutex::new(());

// SAFETY: forwards to the system allocator; the bookkeeping is atomic.
unsafe impl GlobalAlloc for Tracking {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if layout.size() >= 1 << 20 {
            LARGE_ALLOCATIONS.fetch_add(1, Ordering::SeqCst);
        }
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if ptr as usize == WATCHED.load(Ordering::SeqCst) {
            FREES_OF_WATCHED.fetch_add(1, Ordering::SeqCst);
        }
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Tracking = Tracking;

fn watch(ptr: *const u8) {
    FREES_OF_WATCHED.store(0, Ordering::SeqCst);
    WATCHED.store(ptr as usize, Ordering::SeqCst);
}

fn pair(ctx: &Context, name: &str) -> (zmq::Socket, zmq::Socket) {
    let a = ctx.socket(SocketType::Pair).unwrap();
    let b = ctx.socket(SocketType::Pair).unwrap();
    a.bind(name).unwrap();
    b.connect(name).unwrap();
    (a, b)
}

#[test]
fn a_message_from_a_vec_keeps_its_buffer_and_frees_it_once() {
    let _serial = SERIAL.lock().unwrap();
    let vec = vec![7u8; 1 << 20];
    let ptr = vec.as_ptr();
    watch(ptr);
    let msg = Message::from(vec);
    assert_eq!(msg.as_ptr(), ptr);
    let copy = msg.clone();
    assert_eq!(copy.as_ptr(), ptr, "clone shares the buffer");
    drop(msg);
    assert_eq!(
        FREES_OF_WATCHED.load(Ordering::SeqCst),
        0,
        "still shared by the clone"
    );
    drop(copy);
    assert_eq!(FREES_OF_WATCHED.load(Ordering::SeqCst), 1);
}

#[test]
fn sending_a_vec_over_inproc_copies_no_payload() {
    let _serial = SERIAL.lock().unwrap();
    let ctx = Context::new();
    let (a, b) = pair(&ctx, "inproc://zero-copy-vec");
    let vec = vec![1u8; 1 << 20];
    let ptr = vec.as_ptr();
    watch(ptr);
    let before = LARGE_ALLOCATIONS.load(Ordering::SeqCst);
    a.send(vec).unwrap();
    let received = b.recv().unwrap();
    assert_eq!(
        received.as_ptr(),
        ptr,
        "the receiver sees the sender's buffer"
    );
    assert_eq!(
        LARGE_ALLOCATIONS.load(Ordering::SeqCst),
        before,
        "no 1 MiB copy was made"
    );
    // Into Bytes, still without a copy.
    let bytes = bytes::Bytes::from(received);
    assert_eq!(bytes.as_ptr(), ptr);
    assert_eq!(FREES_OF_WATCHED.load(Ordering::SeqCst), 0);
    drop(bytes);
    assert_eq!(
        FREES_OF_WATCHED.load(Ordering::SeqCst),
        1,
        "freed exactly once"
    );
}

#[test]
fn sending_bytes_copies_no_payload() {
    let _serial = SERIAL.lock().unwrap();
    let ctx = Context::new();
    let (a, b) = pair(&ctx, "inproc://zero-copy-bytes");
    let data = bytes::Bytes::from(vec![9u8; 1 << 20]);
    let ptr = data.as_ptr();
    watch(ptr);
    let before = LARGE_ALLOCATIONS.load(Ordering::SeqCst);
    a.send(data.clone()).unwrap();
    let received = b.recv().unwrap();
    assert_eq!(received.as_ptr(), ptr);
    assert_eq!(LARGE_ALLOCATIONS.load(Ordering::SeqCst), before);
    drop(received);
    assert_eq!(
        FREES_OF_WATCHED.load(Ordering::SeqCst),
        0,
        "our clone still holds it"
    );
    drop(data);
    assert_eq!(FREES_OF_WATCHED.load(Ordering::SeqCst), 1);
}

#[test]
fn strings_boxes_and_statics_are_zero_copy_too() {
    let _serial = SERIAL.lock().unwrap();
    let text = String::from("a string that is long enough to be worth not copying");
    let ptr = text.as_ptr();
    assert_eq!(Message::from(text).as_ptr(), ptr);
    let boxed: Box<[u8]> = vec![3u8; 100].into_boxed_slice();
    let ptr = boxed.as_ptr();
    assert_eq!(Message::from(boxed).as_ptr(), ptr);
    static STATIC: &[u8] = b"static bytes live forever";
    assert_eq!(Message::from(STATIC).as_ptr(), STATIC.as_ptr());
}
