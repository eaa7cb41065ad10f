//! s3s-fs with the edges where it answers 5xx or loses data mended, so that bad input to the
//! embedded store gets S3's 4xx and leaves everything as it was:
//!
//! - a suffix range longer than the object (`bytes=-9` of 8 bytes) makes it seek before the
//!   file's start (500); S3 serves the whole object, and so does this;
//! - Complete Multipart Upload deletes the upload before reading its parts, so a missing
//!   part (500), parts out of order or a part under 5 MiB (400) lose the upload and leave
//!   its part files where no request reaches them; here those are refused first, with S3's
//!   codes, and the upload stays whole for a corrected Complete.
//!
//! Every other operation is s3s-fs's own.

use std::path::PathBuf;

use s3s::dto::{
    AbortMultipartUploadInput, AbortMultipartUploadOutput, CompleteMultipartUploadInput, CompleteMultipartUploadOutput,
    CopyObjectInput, CopyObjectOutput, CreateBucketInput, CreateBucketOutput, CreateMultipartUploadInput,
    CreateMultipartUploadOutput, DeleteBucketInput, DeleteBucketOutput, DeleteObjectInput, DeleteObjectOutput,
    DeleteObjectsInput, DeleteObjectsOutput, GetBucketLocationInput, GetBucketLocationOutput, GetObjectInput,
    GetObjectOutput, HeadBucketInput, HeadBucketOutput, HeadObjectInput, HeadObjectOutput, ListBucketsInput,
    ListBucketsOutput, ListObjectsInput, ListObjectsOutput, ListObjectsV2Input, ListObjectsV2Output, ListPartsInput,
    ListPartsOutput, PutObjectInput, PutObjectOutput, Range, UploadPartCopyInput, UploadPartCopyOutput,
    UploadPartInput, UploadPartOutput,
};
use s3s::{S3, S3Request, S3Response, S3Result, s3_error};

/// S3's smallest part but the last.
const MIN_PART_BYTES: u64 = 5 * 1024 * 1024;

pub(super) struct MendedFs {
    pub fs: s3s_fs::FileSystem,
    /// The data directory, canonical: where s3s-fs keeps objects and part files.
    pub root: PathBuf,
}

impl MendedFs {
    /// A suffix range longer than the object becomes the whole object (RFC 9110 14.1.2).
    async fn clamp_suffix(&self, input: &mut GetObjectInput) {
        let Some(Range::Suffix { length }) = input.range else { return };
        let path = self.root.join(&input.bucket).join(&input.key);
        if let Ok(meta) = tokio::fs::metadata(&path).await
            && meta.is_file()
            && length > meta.len()
            && meta.len() > 0
        {
            input.range = Some(Range::Suffix { length: meta.len() });
        }
    }

    /// What s3s-fs would find wrong only after deleting the upload.
    async fn complete_refusal(&self, input: &CompleteMultipartUploadInput) -> S3Result<()> {
        let parts = input.multipart_upload.as_ref().and_then(|m| m.parts.as_deref()).unwrap_or_default();
        // s3s-fs answers an empty list itself, before touching anything.
        let numbers: Vec<i32> = parts.iter().map(|p| p.part_number.unwrap_or(0)).collect();
        if numbers.windows(2).any(|w| w.first() >= w.get(1)) {
            return Err(s3_error!(
                InvalidPartOrder,
                "The list of parts was not in ascending order. Parts must be ordered by part number."
            ));
        }
        let mut sizes = Vec::with_capacity(parts.len());
        for (i, &number) in numbers.iter().enumerate() {
            // The id was checked to be a UUID with this key's upload metadata (`EmbeddedLimits`);
            // s3s-fs names the part files with its lower-case form.
            let name = format!(".upload_id-{}.part-{number}", input.upload_id.to_ascii_lowercase());
            let Ok(meta) = tokio::fs::metadata(self.root.join(name)).await else {
                return Err(s3_error!(
                    InvalidPart,
                    "One or more of the specified parts could not be found. The part may not have been uploaded, or \
                     the specified entity tag may not match the part's entity tag."
                ));
            };
            // s3s-fs joins parts numbered 1, 2, 3, … only; S3 also takes gaps.
            if usize::try_from(number).ok() != Some(i + 1) {
                return Err(s3_error!(
                    InvalidPart,
                    "The embedded store completes parts numbered 1, 2, 3, … without gaps; part {number} is out of that \
                     sequence."
                ));
            }
            sizes.push(meta.len());
        }
        // Every part but the last at least 5 MiB, judged once all were found (as S3 does).
        if let Some((_, all_but_last)) = sizes.split_last()
            && all_but_last.iter().any(|&n| n < MIN_PART_BYTES)
        {
            return Err(s3_error!(
                EntityTooSmall,
                "Your proposed upload is smaller than the minimum allowed object size."
            ));
        }
        Ok(())
    }
}

#[async_trait::async_trait]
impl S3 for MendedFs {
    async fn get_object(&self, mut req: S3Request<GetObjectInput>) -> S3Result<S3Response<GetObjectOutput>> {
        self.clamp_suffix(&mut req.input).await;
        self.fs.get_object(req).await
    }

    async fn complete_multipart_upload(
        &self,
        req: S3Request<CompleteMultipartUploadInput>,
    ) -> S3Result<S3Response<CompleteMultipartUploadOutput>> {
        self.complete_refusal(&req.input).await?;
        self.fs.complete_multipart_upload(req).await
    }

    async fn create_bucket(&self, req: S3Request<CreateBucketInput>) -> S3Result<S3Response<CreateBucketOutput>> {
        self.fs.create_bucket(req).await
    }

    async fn copy_object(&self, req: S3Request<CopyObjectInput>) -> S3Result<S3Response<CopyObjectOutput>> {
        self.fs.copy_object(req).await
    }

    async fn delete_bucket(&self, req: S3Request<DeleteBucketInput>) -> S3Result<S3Response<DeleteBucketOutput>> {
        self.fs.delete_bucket(req).await
    }

    async fn delete_object(&self, req: S3Request<DeleteObjectInput>) -> S3Result<S3Response<DeleteObjectOutput>> {
        self.fs.delete_object(req).await
    }

    async fn delete_objects(&self, req: S3Request<DeleteObjectsInput>) -> S3Result<S3Response<DeleteObjectsOutput>> {
        self.fs.delete_objects(req).await
    }

    async fn get_bucket_location(
        &self,
        req: S3Request<GetBucketLocationInput>,
    ) -> S3Result<S3Response<GetBucketLocationOutput>> {
        self.fs.get_bucket_location(req).await
    }

    async fn head_bucket(&self, req: S3Request<HeadBucketInput>) -> S3Result<S3Response<HeadBucketOutput>> {
        self.fs.head_bucket(req).await
    }

    async fn head_object(&self, req: S3Request<HeadObjectInput>) -> S3Result<S3Response<HeadObjectOutput>> {
        self.fs.head_object(req).await
    }

    async fn list_buckets(&self, req: S3Request<ListBucketsInput>) -> S3Result<S3Response<ListBucketsOutput>> {
        self.fs.list_buckets(req).await
    }

    async fn list_objects(&self, req: S3Request<ListObjectsInput>) -> S3Result<S3Response<ListObjectsOutput>> {
        self.fs.list_objects(req).await
    }

    async fn list_objects_v2(&self, req: S3Request<ListObjectsV2Input>) -> S3Result<S3Response<ListObjectsV2Output>> {
        self.fs.list_objects_v2(req).await
    }

    async fn put_object(&self, req: S3Request<PutObjectInput>) -> S3Result<S3Response<PutObjectOutput>> {
        self.fs.put_object(req).await
    }

    async fn create_multipart_upload(
        &self,
        req: S3Request<CreateMultipartUploadInput>,
    ) -> S3Result<S3Response<CreateMultipartUploadOutput>> {
        self.fs.create_multipart_upload(req).await
    }

    async fn upload_part(&self, req: S3Request<UploadPartInput>) -> S3Result<S3Response<UploadPartOutput>> {
        self.fs.upload_part(req).await
    }

    async fn upload_part_copy(
        &self,
        req: S3Request<UploadPartCopyInput>,
    ) -> S3Result<S3Response<UploadPartCopyOutput>> {
        self.fs.upload_part_copy(req).await
    }

    async fn list_parts(&self, req: S3Request<ListPartsInput>) -> S3Result<S3Response<ListPartsOutput>> {
        self.fs.list_parts(req).await
    }

    async fn abort_multipart_upload(
        &self,
        req: S3Request<AbortMultipartUploadInput>,
    ) -> S3Result<S3Response<AbortMultipartUploadOutput>> {
        self.fs.abort_multipart_upload(req).await
    }
}
