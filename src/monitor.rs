//! Socket monitors (`zmq_socket_monitor`): typed connection events.
