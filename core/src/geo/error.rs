//! Errors of the geo capability: loading an offline pack, importing GeoJSON footprints and reading
//! the building → managing company CSV. Each step that can fail has its own variant so callers (the
//! app's pack store, the server's importers) can tell a truncated download from a wrong version.

use thiserror::Error;

/// Why an offline pack was refused. Loading never panics and never touches a previously loaded
/// index, so the caller can keep using the old pack when a new one is refused.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum PackError {
    /// The bytes do not start with the pack magic: not a building pack at all.
    #[error("not a building pack (bad magic)")]
    BadMagic,
    /// The pack was written by a format version this build cannot read.
    #[error("unsupported pack format version {found} (this build reads version {supported})")]
    UnsupportedVersion {
        /// The version found in the header.
        found: u32,
        /// The version this build reads.
        supported: u32,
    },
    /// The pack is shorter than its header says: an interrupted download.
    #[error("pack truncated: header says {expected} bytes, got {actual}")]
    Truncated {
        /// Total length the header announces.
        expected: u64,
        /// Length actually present.
        actual: u64,
    },
    /// There are bytes after the announced end of the pack.
    #[error("pack has {extra} trailing bytes after its announced end")]
    TrailingBytes {
        /// How many bytes follow the announced end.
        extra: u64,
    },
    /// The body does not match the SHA-256 in the header: corrupted in transit or on disk.
    #[error("pack checksum mismatch (corrupted)")]
    ChecksumMismatch,
    /// The checksum matched but the body does not decode: written by a faulty producer.
    #[error("pack body malformed at byte {offset}: {reason}")]
    Malformed {
        /// Byte offset inside the body where decoding failed.
        offset: usize,
        /// What was wrong there.
        reason: String,
    },
}

/// Why a GeoJSON import could not start at all (bad features are reported per feature instead).
#[derive(Debug, Error)]
pub enum GeoJsonError {
    /// The text is not JSON.
    #[error("not valid JSON: {0}")]
    ParseJson(#[from] serde_json::Error),
    /// The JSON is not a GeoJSON FeatureCollection with a `features` array.
    #[error("not a GeoJSON FeatureCollection: {0}")]
    NotFeatureCollection(String),
}

/// Why a building → managing company CSV could not be read at all (bad rows are reported per line).
#[derive(Debug, Error)]
pub enum ManagersCsvError {
    /// The header row could not be read.
    #[error("cannot read CSV header: {0}")]
    ReadHeader(#[from] csv::Error),
    /// A required column is missing from the header.
    #[error("CSV header has no column {0:?}")]
    MissingColumn(String),
}

/// Why a set of buildings could not be turned into an index.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum IndexError {
    /// Two buildings carry the same id; lookups must name one building unambiguously.
    #[error("duplicate building id {0}")]
    DuplicateBuilding(String),
    /// A footprint cannot be used (no polygon, a ring with fewer than 3 vertices, a coordinate
    /// outside WGS84 range).
    #[error("building {id}: invalid footprint: {reason}")]
    InvalidFootprint {
        /// The building's id.
        id: String,
        /// What is wrong with the footprint.
        reason: String,
    },
}
