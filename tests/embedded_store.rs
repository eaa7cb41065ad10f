//! The embedded store (s3s-fs) answers bad input with S3's 4xx and keeps what it had, where
//! s3s-fs alone answers 5xx or loses an upload: a suffix range longer than the object, and a
//! Complete Multipart Upload whose parts are missing, out of order or too small. Driven by
//! the AWS SDK for Rust through the real gate.

mod support;

use aws_sdk_s3::error::ProvideErrorMetadata;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
use support::{AK, BUCKET, Gate, SK, rust_s3};

/// The S3 error code of a failed call, with its HTTP status.
fn refusal<E: ProvideErrorMetadata, R: std::fmt::Debug>(
    r: Result<R, aws_sdk_s3::error::SdkError<E, aws_sdk_s3::config::http::HttpResponse>>,
) -> (u16, String) {
    match r {
        Ok(ok) => panic!("succeeded: {ok:?}"),
        Err(e) => {
            let status = e.raw_response().map_or(0, |r| r.status().as_u16());
            (status, e.code().unwrap_or_default().to_owned())
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_suffix_range_longer_than_the_object_is_the_whole_object() {
    let gate = Gate::start();
    let s3 = rust_s3(&gate, AK, SK);
    s3.put_object().bucket(BUCKET).key("eight").body(ByteStream::from_static(b"12345678")).send().await.unwrap();
    for (range, body, content_range) in [
        ("bytes=-3", &b"678"[..], "bytes 5-7/8"),
        ("bytes=-8", b"12345678", "bytes 0-7/8"),
        ("bytes=-9", b"12345678", "bytes 0-7/8"),
    ] {
        let got = s3
            .get_object()
            .bucket(BUCKET)
            .key("eight")
            .range(range)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{range}: {e:?}"));
        assert_eq!(got.content_range(), Some(content_range), "{range}");
        assert_eq!(got.body.collect().await.unwrap().into_bytes().as_ref(), body, "{range}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bad_completion_is_refused_and_the_upload_survives_it() {
    let gate = Gate::start();
    let data = gate.dir.path().join("data");
    let s3 = rust_s3(&gate, AK, SK);
    let key = "multi.bin";
    let upload_id = s3.create_multipart_upload().bucket(BUCKET).key(key).send().await.unwrap().upload_id.unwrap();
    let upload = |n: i32, bytes: Vec<u8>| {
        let s3 = s3.clone();
        let upload_id = upload_id.clone();
        async move {
            let r = s3
                .upload_part()
                .bucket(BUCKET)
                .key(key)
                .upload_id(upload_id)
                .part_number(n)
                .body(ByteStream::from(bytes))
                .send()
                .await
                .unwrap_or_else(|e| panic!("part {n}: {e:?}"));
            CompletedPart::builder().part_number(n).e_tag(r.e_tag.unwrap()).build()
        }
    };
    let one = upload(1, vec![b'a'; 1024]).await;
    let two = upload(2, vec![b'b'; 1024]).await;
    let complete = |parts: Vec<CompletedPart>| {
        s3.complete_multipart_upload()
            .bucket(BUCKET)
            .key(key)
            .upload_id(&upload_id)
            .multipart_upload(CompletedMultipartUpload::builder().set_parts(Some(parts)).build())
            .send()
    };
    let missing = CompletedPart::builder().part_number(3).e_tag("\"0\"").build();
    for (parts, status, code) in [
        (vec![two.clone(), one.clone()], 400, "InvalidPartOrder"),
        (vec![one.clone(), missing], 400, "InvalidPart"),
        (vec![one.clone(), two.clone()], 400, "EntityTooSmall"),
    ] {
        assert_eq!(refusal(complete(parts).await), (status, code.to_owned()));
        let listed = s3.list_parts().bucket(BUCKET).key(key).upload_id(&upload_id).send().await.unwrap();
        assert_eq!(listed.parts().len(), 2, "the upload survived {code}");
    }
    assert!(s3.head_object().bucket(BUCKET).key(key).send().await.is_err(), "nothing was stored");

    // The first part again, at S3's minimum: now it completes, from the same upload.
    let one = upload(1, vec![b'a'; 5 << 20]).await;
    complete(vec![one, two]).await.unwrap_or_else(|e| panic!("{e:?}"));
    let got = s3.get_object().bucket(BUCKET).key(key).send().await.unwrap();
    let bytes = got.body.collect().await.unwrap().into_bytes();
    assert_eq!(bytes.len(), (5 << 20) + 1024);
    assert!(bytes.starts_with(b"aaaa") && bytes.ends_with(b"bbbb"));
    let leftovers: Vec<String> = std::fs::read_dir(&data)
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.starts_with(".upload_id-"))
        .collect();
    assert!(leftovers.is_empty(), "part files left behind: {leftovers:?}");
}
