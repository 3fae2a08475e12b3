//! Proxies (`zmq_proxy`, `zmq_proxy_steerable`): forwarding between two sockets.
