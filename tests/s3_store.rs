//! `[store] kind = "s3"`: the gate in front of a separate S3 server (s3s-fs, serving from
//! this test process on its own port with its own credentials), driven by boto3 URLs. The
//! store's credentials must never reach the client.

mod support;

use serde_json::json;
use support::*;

#[tokio::test(flavor = "multi_thread")]
async fn remote_s3_store_round_trip() {
    let data = tempfile::tempdir().unwrap();
    let store = outpost_gate::store::start_embedded(data.path(), [BUCKET]).await.unwrap();
    let store_secret = store.secret.expose().to_owned();
    let gate = Gate::start_with(Setup {
        store_toml: Some(format!(
            "[store]\nkind = \"s3\"\nendpoint = \"{}\"\nregion = \"us-east-1\"\naccess_key_id = \"{}\"\nsecret_access_key = \"{}\"\n",
            store.endpoint, store.access_key_id, store_secret
        )),
        ..Setup::default()
    });
    let url = |method: &str, key: &str| {
        boto3_presign(&json!({"endpoint": gate.url(""), "method": method, "bucket": BUCKET, "key": key}))
    };

    let key = "remote/ünï code+plus & space.txt";
    let r = http().put(url("put_object", key)).body("through a remote store").send().await.unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    // It is really in the remote store's bucket directory.
    let on_disk = std::fs::read_to_string(data.path().join(BUCKET).join(key)).unwrap();
    assert_eq!(on_disk, "through a remote store");

    let r = http().get(url("get_object", key)).header("range", "bytes=8-13").send().await.unwrap();
    assert_eq!(r.status(), 206);
    assert_eq!(r.text().await.unwrap(), "a remo");

    let r = http().delete(url("delete_object", key)).send().await.unwrap();
    assert_eq!(r.status(), 204);
    let r = http().get(url("get_object", key)).send().await.unwrap();
    assert_eq!(r.status(), 404);
    let body = r.text().await.unwrap();
    assert!(body.contains("NoSuchKey"), "the store's own error passes through: {body}");

    for text in [body, gate.log()] {
        assert!(!text.contains(&store_secret), "the store secret leaked");
    }
}
