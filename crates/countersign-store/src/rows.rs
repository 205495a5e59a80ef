//! Column access shared by both backends' row types, so that row mapping is
//! written once, generically.

use crate::error::StoreError;
use sqlx::Row;

/// Typed column getters. Integers are always 64-bit and booleans 0/1, which
/// both backends store and decode the same way.
pub(crate) trait RowExt {
    fn text(&self, col: &str) -> Result<String, sqlx::Error>;
    fn opt_text(&self, col: &str) -> Result<Option<String>, sqlx::Error>;
    fn int(&self, col: &str) -> Result<i64, sqlx::Error>;
    fn opt_int(&self, col: &str) -> Result<Option<i64>, sqlx::Error>;
    fn bytes(&self, col: &str) -> Result<Vec<u8>, sqlx::Error>;
    fn opt_bytes(&self, col: &str) -> Result<Option<Vec<u8>>, sqlx::Error>;
}

macro_rules! impl_row_ext {
    ($row:ty) => {
        impl RowExt for $row {
            fn text(&self, col: &str) -> Result<String, sqlx::Error> {
                self.try_get(col)
            }
            fn opt_text(&self, col: &str) -> Result<Option<String>, sqlx::Error> {
                self.try_get(col)
            }
            fn int(&self, col: &str) -> Result<i64, sqlx::Error> {
                self.try_get(col)
            }
            fn opt_int(&self, col: &str) -> Result<Option<i64>, sqlx::Error> {
                self.try_get(col)
            }
            fn bytes(&self, col: &str) -> Result<Vec<u8>, sqlx::Error> {
                self.try_get(col)
            }
            fn opt_bytes(&self, col: &str) -> Result<Option<Vec<u8>>, sqlx::Error> {
                self.try_get(col)
            }
        }
    };
}

impl_row_ext!(sqlx::sqlite::SqliteRow);
impl_row_ext!(sqlx::postgres::PgRow);

/// Milliseconds since the epoch to a time.
pub(crate) fn time_from_ms(
    table: &'static str,
    ms: i64,
) -> Result<time::OffsetDateTime, StoreError> {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000).map_err(|e| {
        StoreError::Corrupt {
            table,
            reason: format!("timestamp {ms}: {e}"),
        }
    })
}

/// A time to milliseconds since the epoch, the stored form.
pub(crate) fn ms(t: time::OffsetDateTime) -> i64 {
    countersign_audit::unix_millis(t)
}

/// A stored JSON list of strings.
pub(crate) fn json_list(table: &'static str, text: &str) -> Result<Vec<String>, StoreError> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt {
        table,
        reason: format!("list {text:?}: {e}"),
    })
}

/// A list to its stored JSON form.
pub(crate) fn to_json_list(list: &[String]) -> String {
    serde_json::to_string(list).unwrap_or_else(|_| "[]".into())
}
