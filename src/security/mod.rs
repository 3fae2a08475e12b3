//! Security: CURVE keys, PLAIN/CURVE socket setup, certificates and a ZAP
//! authenticator.
