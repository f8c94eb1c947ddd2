//! Mastercard's official Python libraries, run through the scripts in `scripts/golden/`: the
//! proof that what we write and read is what Mastercard's own code writes and reads.
//!
//! Deliberately fails, never skips, when python3 or a package is missing: `scripts/test`
//! installs them (`python3 -m pip install -r scripts/golden/requirements.txt`).

use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};

use serde_json::Value;

/// Runs `scripts/golden/{script}` with `args`, in the folder `dir`, with `stdin` as its input;
/// the JSON it prints.
pub fn run(script: &str, args: &[&str], dir: &Path, stdin: &str) -> Value {
    let mut child = Command::new("python3")
        .arg(crate::repository_root().join("scripts/golden").join(script))
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 is required: python3 -m pip install -r scripts/golden/requirements.txt");
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{script} {args:?} failed (python3 -m pip install -r scripts/golden/requirements.txt?): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|_| panic!("{script} printed JSON"))
}
