//! The async receive loop allocates nothing per message in its steady state:
//! a counting global allocator (this test binary's own) counts what the
//! receiving thread allocates while it receives, including the rounds where
//! it has to wait for the fd. (libzmq's own buffers come from C's malloc,
//! not Rust's allocator, and are libzmq's business, as for the blocking API.)
#![cfg(feature = "tokio")]

mod watchdog;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use zmq::tokio::AsyncSocket;
use zmq::{Context, SocketType};

struct Counting;

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

thread_local! {
    static COUNTING: Cell<bool> = const { Cell::new(false) };
}

fn note_allocation() {
    if COUNTING.with(Cell::get) {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
    }
}

// SAFETY: every call is forwarded to the system allocator unchanged; the
// counter only observes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note_allocation();
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note_allocation();
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note_allocation();
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

const WARM_UP: u32 = 1_000;
const COUNTED: u32 = 20_000;

#[test]
fn an_async_receive_loop_allocates_nothing_per_message() {
    watchdog::within(Duration::from_secs(120), || {
        let ctx = Context::new();
        let push = ctx.socket(SocketType::Push).unwrap();
        // It ends before the receiver has everything: no linger limit.
        push.set(zmq::opt::Linger, None).unwrap();
        push.bind("tcp://127.0.0.1:*").unwrap();
        let endpoint = push.last_endpoint().unwrap();
        // A blocking sender on its own thread, in bursts, so the receiver
        // sometimes finds messages queued and sometimes has to wait.
        let sender = std::thread::spawn(move || {
            let payload = [7u8; 64];
            for i in 0..WARM_UP + COUNTED {
                push.send(&payload[..]).unwrap();
                if i % 100 == 0 {
                    std::thread::sleep(Duration::from_micros(200));
                }
            }
        });

        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let waits = runtime.block_on(async {
            let pull = AsyncSocket::new(ctx.socket(SocketType::Pull).unwrap()).unwrap();
            pull.with_socket(|s| s.connect(&endpoint)).unwrap();
            for _ in 0..WARM_UP {
                pull.recv().await.unwrap();
            }
            let mut waits = 0u32;
            COUNTING.with(|c| c.set(true));
            for _ in 0..COUNTED {
                let mut receive = pull.recv();
                let message = match futures_util::poll!(&mut receive) {
                    std::task::Poll::Ready(message) => message,
                    std::task::Poll::Pending => {
                        waits += 1;
                        receive.await
                    }
                }
                .unwrap();
                assert_eq!(message.len(), 64);
            }
            COUNTING.with(|c| c.set(false));
            waits
        });
        sender.join().unwrap();
        let allocations = ALLOCATIONS.load(Ordering::Relaxed);
        assert!(waits > 0, "the receiver never waited: the test proved less");
        assert_eq!(
            allocations, 0,
            "{allocations} allocations in {COUNTED} receives ({waits} of which waited)"
        );
    });
}
