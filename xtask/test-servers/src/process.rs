//! What the private servers of the tests share: a free port, and signals to a child.

use std::net::TcpListener;
use std::process::Child;

use rustix::process::{kill_process, Pid, Signal};

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port()
}

/// SIGSTOP (`true`) or SIGCONT (`false`): frozen, its connections open but silent.
pub fn freeze(child: &Child, frozen: bool) {
    signal(child, if frozen { Signal::STOP } else { Signal::CONT });
}

pub fn signal(child: &Child, signal: Signal) {
    let pid = Pid::from_raw(child.id() as i32).expect("a pid");
    kill_process(pid, signal).expect("signalled");
}

/// SIGKILL, and reaped.
pub fn kill(child: Option<Child>) {
    if let Some(mut child) = child {
        let _ = child.kill();
        let _ = child.wait();
    }
}
