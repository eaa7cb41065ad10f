use std::path::{Path, PathBuf};

use super::*;

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    if let Some(parent) = p.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    std::fs::write(&p, text).unwrap();
    p
}

const OUTPOST: &str =
    "[outpost]\nregion = \"us-east-1\"\naccount_id = \"111122223333\"\noutpost_id = \"op-01ac5d28a6a232904\"\n";

#[test]
fn the_shipped_configuration_loads() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(DEFAULT_PATH);
    let c = Config::load(&path).unwrap_or_else(|e| panic!("{e}"));
    assert!(!c.users.is_empty() && !c.buckets.is_empty());
    assert!(c.summary().contains("ok"));
}

#[test]
fn unknown_keys_are_named_with_their_path() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), "g.toml", &format!("{OUTPOST}[server]\nlisten = [\"127.0.0.1:0\"]\nlisten_port = 3\n"));
    let e = Config::load(&p).unwrap_err();
    assert_eq!(e.0.len(), 1);
    assert!(e.0[0].contains("g.toml: server.listen_port: unknown field"), "{e}");
}

#[test]
fn every_problem_is_reported_with_file_and_key() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "p/bad.json", r#"{"Statement":{"Effect":"Permit","Action":"*","Resource":"*"}}"#);
    let p = write(
        dir.path(),
        "g.toml",
        &format!(
            "{OUTPOST}[server]\nlisten = [\"nope\"]\n[[buckets]]\nname = \"Bad_Name\"\n[[buckets]]\nname = \"ok-bucket\"\npolicy = \"p/bad.json\"\n\
             [[users]]\narn = \"arn:aws:iam::111122223333:user/a\"\naccess_keys = [{{ id = \"AKIAAAAAAAAAAAAAAAAA\" }}]\n\
             [[access_points]]\nname = \"ap1\"\nbucket = \"missing\"\nvpc_id = \"vpc-1\"\n"
        ),
    );
    let e = Config::load(&p).unwrap_err().0.join("\n");
    for want in [
        "server.listen[0]",
        "buckets[0].name",
        "buckets[1].policy: p/bad.json: Statement[0].Effect",
        "users[0].access_keys[0].secret",
        "access_points[0].bucket",
        "access_points[0].vpc_id",
    ] {
        assert!(e.contains(want), "missing {want} in:\n{e}");
    }
    assert!(e.lines().all(|l| l.starts_with(&p.display().to_string())), "{e}");
}

#[test]
fn secret_files_are_read_relative_to_the_config() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "keys/alice.secret", "s3cr3t\n");
    let p = write(
        dir.path(),
        "g.toml",
        &format!(
            "{OUTPOST}[[users]]\narn = \"arn:aws:iam::111122223333:user/alice\"\naccess_keys = [{{ id = \"AKIAAAAAAAAAAAAAAAAA\", secret_file = \"keys/alice.secret\" }}]\n"
        ),
    );
    let c = Config::load(&p).unwrap();
    assert_eq!(c.users[0].access_keys[0].secret.expose(), "s3cr3t");
    assert_eq!(c.users[0].name, "alice");
    assert!(!format!("{c:?}").contains("s3cr3t"));
}
