/* The C compiler's own view of every struct zmq.h defines, for
   zmq-sys/tests/layout.rs: sizes, alignments and field offsets, compiled for
   the target by the build script and linked into zmq-sys's tests only.
   (`struct iovec` is only declared by zmq.h, never defined: nothing to check.) */
#include <stddef.h>
#include <zmq.h>

#define LAYOUT(T) sizeof (T), _Alignof (T)

const size_t zmq_sys_c_layout[] = {
    sizeof (zmq_fd_t),
    _Alignof (zmq_fd_t),
    LAYOUT (zmq_msg_t),
    LAYOUT (zmq_pollitem_t),
    offsetof (zmq_pollitem_t, socket),
    offsetof (zmq_pollitem_t, fd),
    offsetof (zmq_pollitem_t, events),
    offsetof (zmq_pollitem_t, revents),
#if defined ZMQ_BUILD_DRAFT_API
    LAYOUT (zmq_poller_event_t),
    offsetof (zmq_poller_event_t, socket),
    offsetof (zmq_poller_event_t, fd),
    offsetof (zmq_poller_event_t, user_data),
    offsetof (zmq_poller_event_t, events),
#endif
};

const size_t zmq_sys_c_layout_len =
  sizeof zmq_sys_c_layout / sizeof zmq_sys_c_layout[0];
