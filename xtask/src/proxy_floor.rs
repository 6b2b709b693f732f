//! The floor under the proxy's cost per request: a relay on the proxy's own HTTP stack
//! and runtime setup (hyper's HTTP/1.1 server and client; a single-threaded runtime per
//! thread, each accepting from the one socket), reading each body whole as the proxy
//! does, with a connection of its own to the upstream per device connection (as an
//! nginx keep-alive relay holds one), and nothing else: no DM message read, nothing
//! recorded, no limits. What the proxy spends above it is dmct's own work.

use anyhow::Result;
use http_body_util::{BodyExt as _, Full};
use hyper_util::rt::TokioIo;
use std::cell::RefCell;
use std::net::SocketAddr;
use std::rc::Rc;
use tokio::sync::watch;

/// The running floor relay; dropped, its threads stop accepting and end.
pub struct Floor {
    pub addr: SocketAddr,
    _stop: watch::Sender<bool>,
}

/// Threads of the floor relay are named `floor-N` (their CPU is read by name).
pub fn start(upstream: SocketAddr, threads: usize) -> Result<Floor> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    listener.set_nonblocking(true)?;
    let addr = listener.local_addr()?;
    let (stop, stop_rx) = watch::channel(false);
    for i in 0..threads {
        let socket = listener.try_clone()?;
        let mut stop_rx = stop_rx.clone();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        std::thread::Builder::new()
            .name(format!("floor-{i}"))
            .spawn(move || {
                let local = tokio::task::LocalSet::new();
                local.block_on(&rt, async move {
                    let Ok(l) = tokio::net::TcpListener::from_std(socket) else {
                        return;
                    };
                    loop {
                        tokio::select! {
                            accepted = l.accept() => {
                                if let Ok((device, _)) = accepted {
                                    tokio::task::spawn_local(relay(device, upstream));
                                }
                            }
                            _ = stop_rx.changed() => break,
                        }
                    }
                });
            })?;
    }
    Ok(Floor { addr, _stop: stop })
}

/// One device connection and its own upstream connection.
async fn relay(device: tokio::net::TcpStream, upstream: SocketAddr) {
    let _ = device.set_nodelay(true);
    let Ok(up) = tokio::net::TcpStream::connect(upstream).await else {
        return;
    };
    let _ = up.set_nodelay(true);
    let Ok((sender, conn)) = hyper::client::conn::http1::handshake(TokioIo::new(up)).await else {
        return;
    };
    tokio::task::spawn_local(conn);
    let sender = Rc::new(RefCell::new(sender));
    let service = hyper::service::service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
        let sender = sender.clone();
        async move {
            let (parts, body) = req.into_parts();
            let body = body.collect().await?.to_bytes();
            let sent = sender
                .borrow_mut()
                .send_request(hyper::Request::from_parts(parts, Full::new(body)));
            let (parts, body) = sent.await?.into_parts();
            let body = body.collect().await?.to_bytes();
            Ok::<_, hyper::Error>(hyper::Response::from_parts(parts, Full::new(body)))
        }
    });
    let _ = hyper::server::conn::http1::Builder::new()
        .serve_connection(TokioIo::new(device), service)
        .await;
}
