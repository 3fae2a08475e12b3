/* Expanded by the preprocessor (never compiled) to read the version and the
 * draft switch of the zmq.h that is actually used. */
#include <zmq.h>

RUST_ZMQ_VERSION ZMQ_VERSION_MAJOR ZMQ_VERSION_MINOR ZMQ_VERSION_PATCH
#if defined(ZMQ_BUILD_DRAFT_API) && defined(ZMQ_SERVER)
RUST_ZMQ_DRAFT 1
#else
RUST_ZMQ_DRAFT 0
#endif
