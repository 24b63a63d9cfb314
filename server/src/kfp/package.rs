//! Pipeline packages as `kfp` uploads them: a YAML (or JSON) file, or a
//! `.tar.gz` or `.zip` holding one. Decompression is bounded: no entry is
//! read past the spec size limit.

use std::io::Read;

use axum::extract::Multipart;
use engine::spec::MAX_SPEC_BYTES;

use crate::ApiError;

/// Largest upload accepted (the request body, compressed or not).
pub const MAX_UPLOAD_BYTES: usize = 16 * 1024 * 1024;

/// The multipart field that holds the package, as KFP names it.
const FIELD: &str = "uploadfile";

/// Longest text field accepted in an upload form.
const MAX_FIELD_BYTES: usize = 4096;

/// An upload form: its text fields and the package's file name and spec.
#[derive(Debug, Default)]
pub struct UploadForm {
    /// Text fields by name.
    pub fields: std::collections::HashMap<String, String>,
    /// The `uploadfile` field: its file name and the spec inside it.
    pub package: Option<(String, Vec<u8>)>,
}

/// Reads a multipart upload: short text fields and the `uploadfile` package.
pub async fn read_form(mut multipart: Multipart) -> Result<UploadForm, ApiError> {
    let mut form = UploadForm::default();
    while let Some(field) = multipart.next_field().await.map_err(multipart_error)? {
        let Some(name) = field.name().map(str::to_owned) else { continue };
        if name == FIELD {
            let file_name = field.file_name().unwrap_or_default().to_owned();
            let bytes = field.bytes().await.map_err(multipart_error)?;
            let spec = unpack(&file_name, &bytes)?;
            form.package = Some((file_name, spec));
        } else {
            let text = field.text().await.map_err(multipart_error)?;
            if text.len() > MAX_FIELD_BYTES {
                return Err(ApiError::BadRequest(format!("field {name:?} is longer than {MAX_FIELD_BYTES} bytes")));
            }
            form.fields.insert(name, text);
        }
    }
    Ok(form)
}

/// Reads the `uploadfile` field: its file name and the spec inside it.
pub async fn read_upload(multipart: Multipart) -> Result<(String, Vec<u8>), ApiError> {
    read_form(multipart)
        .await?
        .package
        .ok_or_else(|| ApiError::BadRequest(format!("the upload has no {FIELD:?} field holding the pipeline package")))
}

fn multipart_error(e: axum::extract::multipart::MultipartError) -> ApiError {
    if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::TooLarge(format!("the upload is larger than {MAX_UPLOAD_BYTES} bytes"))
    } else {
        ApiError::BadRequest(format!("invalid multipart upload: {}", e.body_text()))
    }
}

/// The spec in a package: the bytes of a plain file, or the one YAML or
/// JSON file in an archive.
pub fn unpack(file_name: &str, bytes: &[u8]) -> Result<Vec<u8>, ApiError> {
    if bytes.starts_with(&[0x1f, 0x8b]) {
        let archive = tar::Archive::new(flate2::read::GzDecoder::new(bytes));
        return from_tar(file_name, archive);
    }
    if bytes.starts_with(b"PK\x03\x04") {
        return from_zip(file_name, bytes);
    }
    if bytes.len() > MAX_SPEC_BYTES {
        return Err(ApiError::TooLarge(format!("{file_name} is larger than {MAX_SPEC_BYTES} bytes")));
    }
    Ok(bytes.to_vec())
}

fn is_spec_name(name: &str) -> bool {
    [".yaml", ".yml", ".json"].iter().any(|ext| name.ends_with(ext))
}

fn bounded(file_name: &str, entry: impl Read) -> Result<Vec<u8>, ApiError> {
    let mut spec = Vec::new();
    entry
        .take(MAX_SPEC_BYTES as u64 + 1)
        .read_to_end(&mut spec)
        .map_err(|e| ApiError::BadRequest(format!("cannot read {file_name}: {e}")))?;
    if spec.len() > MAX_SPEC_BYTES {
        return Err(ApiError::TooLarge(format!("the spec in {file_name} is larger than {MAX_SPEC_BYTES} bytes")));
    }
    Ok(spec)
}

fn from_tar(file_name: &str, mut archive: tar::Archive<impl Read>) -> Result<Vec<u8>, ApiError> {
    let bad = |e: std::io::Error| ApiError::BadRequest(format!("{file_name} is not a valid .tar.gz: {e}"));
    for entry in archive.entries().map_err(bad)? {
        let entry = entry.map_err(bad)?;
        let name = entry.path().map_err(bad)?.to_string_lossy().into_owned();
        if entry.header().entry_type().is_file() && is_spec_name(&name) {
            return bounded(file_name, entry);
        }
    }
    Err(ApiError::BadRequest(format!("{file_name} holds no .yaml, .yml or .json file")))
}

fn from_zip(file_name: &str, bytes: &[u8]) -> Result<Vec<u8>, ApiError> {
    let bad = |e: zip::result::ZipError| ApiError::BadRequest(format!("{file_name} is not a valid .zip: {e}"));
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).map_err(bad)?;
    for i in 0..archive.len() {
        let entry = archive.by_index(i).map_err(bad)?;
        if entry.is_file() && is_spec_name(entry.name()) {
            return bounded(file_name, entry);
        }
    }
    Err(ApiError::BadRequest(format!("{file_name} holds no .yaml, .yml or .json file")))
}
