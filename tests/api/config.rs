//! Settings as an operator meets them: through the `pushprov` binary.

use std::process::Command;

fn pushprov(dir: &std::path::Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_pushprov"));
    command.current_dir(dir).env_remove("RUST_LOG");
    // Keep the machine's PUSHPROV__* (if any) out of these tests.
    for (name, _) in std::env::vars() {
        if name.starts_with("PUSHPROV__") {
            command.env_remove(name);
        }
    }
    command
}

/// The error `command` stopped with: exit code 2, the error on stderr.
fn refused(command: &mut Command) -> String {
    let output = command.output().unwrap();
    assert_eq!(output.status.code(), Some(2), "{}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stderr).unwrap()
}

#[test]
fn an_invalid_environment_setting_stops_start_up_with_one_line_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let stderr = refused(pushprov(dir.path()).arg("migrate").env("PUSHPROV__SERVER__PORT", "eighty"));
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("server.port"), "{stderr}");
}

#[test]
fn a_fingerprint_that_is_not_hex_stops_start_up_naming_the_setting() {
    let dir = tempfile::tempdir().unwrap();
    for value in ["4c:4e:ad:59:27:f0:df:81:17:f1:78:ee:a9:30:8d:aa", "abc123", "certficate"] {
        let stderr = refused(pushprov(dir.path()).arg("migrate").env("PUSHPROV__MDES__FINGERPRINT", value));
        assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
        assert!(stderr.contains("mdes.fingerprint") && stderr.contains("hex"), "{stderr}");
    }
    // The value from the key page is accepted as it is.
    let copied = "4C4EAD5927F0DF8117F178EEA9308DAA58E27C2B4C4EAD5927F0DF8117F178EE";
    let output = pushprov(dir.path()).arg("migrate").env("PUSHPROV__MDES__FINGERPRINT", copied).output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
}

#[test]
fn an_invalid_value_in_the_file_names_the_setting() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("pushprov.toml"), "[session]\nidle_timeout_secs = 900\n").unwrap();
    let stderr = refused(pushprov(dir.path()).arg("migrate"));
    assert!(stderr.contains("session.idle_timeout_secs") && stderr.contains("300"), "{stderr}");
}

#[test]
fn an_unknown_setting_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("custom.toml"), "[server]\nprot = 9000\n").unwrap();
    assert!(refused(pushprov(dir.path()).args(["--config", "custom.toml", "migrate"])).contains("prot"));
}

#[test]
fn production_without_secrets_refuses_to_start() {
    let dir = tempfile::tempdir().unwrap();
    let stderr = refused(pushprov(dir.path()).arg("migrate").env("PUSHPROV__DEMO__ENABLED", "false"));
    assert!(stderr.contains("session.cookie_key") && stderr.contains("required"), "{stderr}");
}

#[test]
fn insecure_cookies_only_on_loopback() {
    let dir = tempfile::tempdir().unwrap();
    let stderr = refused(pushprov(dir.path()).arg("migrate").env("PUSHPROV__SERVER__PUBLIC_URL", "http://bank.example"));
    assert!(stderr.contains("server.secure_cookies"), "{stderr}");
}

#[test]
fn migrate_with_defaults_creates_the_database_under_data() {
    let dir = tempfile::tempdir().unwrap();
    let output = pushprov(dir.path()).arg("migrate").output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(dir.path().join("data/pushprov.db").exists());
    // Demo secrets are generated there, readable by the owner only.
    let key = dir.path().join("data/session-cookie.key");
    assert!(key.exists());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&key).unwrap().permissions().mode() & 0o777, 0o600);
    }
}

#[test]
fn environment_overrides_the_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("pushprov.toml"), "data_dir = \"from-file\"\n").unwrap();
    let output = pushprov(dir.path()).arg("migrate").env("PUSHPROV__DATA_DIR", "from-env").output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(dir.path().join("from-env/pushprov.db").exists());
    assert!(!dir.path().join("from-file").exists());
}

/// Attack finding: `provisioning.digitization_data_for` could only be set in
/// a file; in the environment it is a comma-separated list too.
#[test]
fn digitization_data_for_takes_a_comma_separated_list_from_the_environment() {
    let dir = tempfile::tempdir().unwrap();
    let ok = pushprov(dir.path())
        .arg("migrate")
        .env("PUSHPROV__PROVISIONING__DIGITIZATION_DATA_FOR", "50100000009,50100000001")
        .output()
        .unwrap();
    assert!(ok.status.success(), "{}", String::from_utf8_lossy(&ok.stderr));
    let bad = pushprov(dir.path())
        .arg("migrate")
        .env("PUSHPROV__PROVISIONING__DIGITIZATION_DATA_FOR", "50100000009,123")
        .output()
        .unwrap();
    assert!(!bad.status.success());
    assert!(
        String::from_utf8_lossy(&bad.stderr).contains("provisioning.digitization_data_for"),
        "{}",
        String::from_utf8_lossy(&bad.stderr)
    );
}
