//! `tameio demo` as a child process, shared by the binary's test files.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

/// A running demo, stopped when dropped (also when a test fails).
pub struct Demo(pub Child);

impl Drop for Demo {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `tameio demo` on a free port with its data in `data` (its log in
/// `log`, if given) and reads its banner: the demo, its base URL and API key.
pub fn start_demo(data: &Path, log: Option<&Path>) -> (Demo, String, String) {
    let stderr = match log {
        Some(path) => Stdio::from(std::fs::File::create(path).expect("demo log")),
        None => Stdio::null(),
    };
    let child = Command::new(env!("CARGO_BIN_EXE_tameio"))
        .env_remove("TAMEIO_DATABASE_URL")
        .env_remove("TAMEIO_ADDR")
        .args(["demo", "--addr", "127.0.0.1:0", "--data"])
        .arg(data)
        .stdout(Stdio::piped())
        .stderr(stderr)
        .spawn()
        .expect("start demo");
    let mut demo = Demo(child);
    let mut lines = BufReader::new(demo.0.stdout.take().expect("stdout")).lines();
    let mut base = String::new();
    loop {
        let line = lines.next().expect("demo printed its banner").expect("line");
        if let Some(rest) = line.split(" at ").nth(1).filter(|_| base.is_empty()) {
            base = rest.trim().to_string();
        }
        if let Some(key) = line.strip_prefix("API key: ") {
            // Keep draining stdout so the demo never writes into a closed pipe.
            std::thread::spawn(move || lines.for_each(drop));
            return (demo, base, key.to_string());
        }
    }
}
