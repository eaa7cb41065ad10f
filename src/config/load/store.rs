//! `[store]`: which store, how to reach it, and what it does with keys and versions.

use std::path::PathBuf;
use std::time::Duration;

use super::Validator;
use crate::base::secret::SecretKey;
use crate::config::model::{StoreConfig, StoreKind, StoreTimeouts, StoreTraits};
use crate::config::raw;

impl Validator {
    pub(super) fn store(&mut self, s: raw::RawStore, region: &str) -> StoreConfig {
        for (key, secs) in [
            ("store.connect_timeout_secs", s.connect_timeout_secs),
            ("store.first_byte_timeout_secs", s.first_byte_timeout_secs),
        ] {
            if secs == 0 {
                self.problem(key, "must be at least 1");
            }
        }
        let timeouts = StoreTimeouts {
            connect: Duration::from_secs(s.connect_timeout_secs.max(1)),
            first_byte: Duration::from_secs(s.first_byte_timeout_secs.max(1)),
        };
        let traits = StoreTraits { opaque_keys: s.opaque_keys, versions: s.versions };
        if s.kind == "embedded" {
            // s3s-fs keeps each key as a file path and keeps no versions.
            if s.opaque_keys {
                self.problem(
                    "store.opaque_keys",
                    "the embedded store keeps keys as file paths: it cannot be true there",
                );
            }
            if s.versions {
                self.problem("store.versions", "the embedded store keeps no object versions: it cannot be true there");
            }
        }
        let kind = match s.kind.as_str() {
            "embedded" => StoreKind::Embedded { data_dir: self.resolve(s.data_dir.as_deref().unwrap_or("data")) },
            "s3" => self.s3_store(s, region),
            other => {
                self.problem("store.kind", format!("\"{other}\": expected \"embedded\" or \"s3\""));
                StoreKind::Embedded { data_dir: PathBuf::new() }
            }
        };
        StoreConfig { kind, timeouts, traits }
    }

    fn s3_store(&mut self, s: raw::RawStore, region: &str) -> StoreKind {
        let (key, texts) = match (s.endpoint, s.endpoints) {
            (Some(one), None) => ("store.endpoint", vec![one]),
            (None, Some(many)) if !many.is_empty() => ("store.endpoints", many),
            (None, Some(_)) => {
                self.problem("store.endpoints", "names no endpoint");
                ("store.endpoints", Vec::new())
            }
            (Some(_), Some(_)) => {
                self.problem("store.endpoints", "give endpoint (one node) or endpoints (several), not both");
                ("store.endpoints", Vec::new())
            }
            (None, None) => {
                self.problem("store.endpoint", "needed when kind = \"s3\" (or endpoints, for several nodes)");
                ("store.endpoint", Vec::new())
            }
        };
        let endpoints: Vec<http::Uri> = texts.iter().filter_map(|t| self.store_endpoint(key, t)).collect();
        let mut seen = std::collections::BTreeSet::new();
        for e in &endpoints {
            if !seen.insert(e.to_string()) {
                self.problem(key, format!("\"{e}\" is named twice"));
            }
        }
        let https = endpoints.first().is_some_and(|e| e.scheme_str() == Some("https"));
        if endpoints.iter().any(|e| (e.scheme_str() == Some("https")) != https) {
            self.problem(key, "the nodes of one store are all http:// or all https://");
        }
        let tls = match (&s.ca_file, https) {
            (Some(_), false) => {
                self.problem("store.ca_file", "only for an https:// store endpoint");
                None
            }
            (ca_file, true) => {
                match crate::config::tls::store_client_config(ca_file.as_deref().map(|p| self.resolve(p)).as_deref()) {
                    Ok(config) => Some(config),
                    Err(e) => {
                        let key = if ca_file.is_some() { "store.ca_file" } else { "store.endpoint" };
                        self.problem(key, e);
                        None
                    }
                }
            }
            (None, false) => None,
        };
        let access_key_id = s.access_key_id.unwrap_or_else(|| {
            self.problem("store.access_key_id", "needed when kind = \"s3\"");
            String::new()
        });
        let secret = match (s.secret_access_key, s.secret_access_key_file) {
            (Some(inline), None) => SecretKey::new(inline),
            (None, Some(p)) => {
                self.read_secret("store.secret_access_key_file", &p).unwrap_or_else(|| SecretKey::new(""))
            }
            _ => {
                self.problem(
                    "store.secret_access_key",
                    "give exactly one of secret_access_key and secret_access_key_file",
                );
                SecretKey::new("")
            }
        };
        StoreKind::S3 { endpoints, region: s.region.unwrap_or_else(|| region.to_owned()), access_key_id, secret, tls }
    }

    /// One store endpoint: `http://` or `https://`, a host, no path or query.
    fn store_endpoint(&mut self, key: &str, text: &str) -> Option<http::Uri> {
        match text.parse::<http::Uri>() {
            Ok(u)
                if matches!(u.scheme_str(), Some("http" | "https"))
                    && u.host().is_some_and(|h| !h.is_empty())
                    && u.path() == "/"
                    && u.query().is_none() =>
            {
                Some(u)
            }
            _ => {
                self.problem(
                    key,
                    format!(
                        "\"{text}\" must be a URL with no path, such as \"http://10.0.1.20:9000\" or \"https://minio.internal:9000\""
                    ),
                );
                None
            }
        }
    }
}
