//! The paths of earlier snapshots still name the same items (src/lib.rs keeps
//! them, hidden from the docs, until 0.2): code written against them builds.

use std::any::TypeId;

fn same<A: 'static, B: 'static>() -> bool {
    TypeId::of::<A>() == TypeId::of::<B>()
}

#[test]
fn root_aliases_name_the_module_items() {
    assert!(same::<zmq::Event, zmq::monitor::Event>());
    assert!(same::<zmq::EventKind, zmq::monitor::EventKind>());
    assert!(same::<zmq::Monitor, zmq::monitor::Monitor>());
    assert!(same::<zmq::MonitorEvents, zmq::monitor::MonitorEvents>());
    assert!(same::<zmq::ProtocolError, zmq::monitor::ProtocolError>());
    assert!(same::<zmq::Authenticator, zmq::security::Authenticator>());
    assert!(same::<zmq::Certificate, zmq::security::Certificate>());
    assert!(same::<zmq::CurveKeyPair, zmq::security::CurveKeyPair>());
    assert!(same::<zmq::PublicKey, zmq::security::PublicKey>());
    assert!(same::<zmq::SecretKey, zmq::security::SecretKey>());
    assert!(same::<zmq::Mechanism, zmq::SecurityMechanism>());
}

#[test]
fn module_paths_name_the_root_items() {
    assert!(same::<
        zmq::poll::Poller<'static, zmq::Socket>,
        zmq::Poller<'static, zmq::Socket>,
    >());
    assert!(same::<zmq::poll::PollEvents, zmq::PollEvents>());
    assert!(same::<zmq::proxy::SteerableProxy, zmq::SteerableProxy>());
    assert!(same::<zmq::proxy::ProxyStatistics, zmq::ProxyStatistics>());
    assert!(same::<zmq::option::opt::SndHwm, zmq::opt::SndHwm>());
}

#[test]
fn old_paths_work_in_calls() -> zmq::Result<()> {
    let keys = zmq::CurveKeyPair::generate()?;
    assert_eq!(keys.public.to_z85().len(), 40);
    let ctx = zmq::Context::new();
    let rep = ctx.socket(zmq::SocketType::Rep)?;
    rep.set(zmq::option::opt::SndHwm, 7)?;
    assert_eq!(rep.get(zmq::opt::SndHwm)?, 7);
    let monitor = rep.monitor(zmq::MonitorEvents::ALL)?;
    drop(monitor);
    Ok(())
}
