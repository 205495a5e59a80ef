//! Parse speed of the streaming aggregate reader alone (no storage).
//!
//! `cargo run --release -p countersign-posture --example bench_parse -- FILE...`
//! prints records per second and MB/s for each file.

use countersign_posture::{AggregateReader, ExtractError, ExtractLimits, Found, extract};
use std::io::BufReader;
use std::time::Instant;

#[derive(Debug)]
struct E(String);
impl From<ExtractError> for E {
    fn from(e: ExtractError) -> Self {
        E(e.to_string())
    }
}

fn main() {
    for path in std::env::args().skip(1) {
        let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        let started = Instant::now();
        let mut records = 0u64;
        let file = std::fs::File::open(&path).expect("open");
        let result = extract(
            BufReader::with_capacity(256 * 1024, file),
            &ExtractLimits::default(),
            &mut |found: Found<'_>| -> Result<(), E> {
                if let Found::Aggregate { xml, .. } = found {
                    let mut reader = AggregateReader::new(xml);
                    while reader
                        .next_record()
                        .map_err(|e| E(e.to_string()))?
                        .is_some()
                    {
                        records += 1;
                    }
                    reader.finish().map_err(|e| E(e.to_string()))?;
                }
                Ok(())
            },
        );
        let secs = started.elapsed().as_secs_f64();
        match result {
            Ok(_) => println!(
                "{path}: {records} records in {secs:.3} s = {:.0} records/s, {:.0} MB/s",
                records as f64 / secs,
                size as f64 / secs / 1e6
            ),
            Err(E(e)) => println!("{path}: {e}"),
        }
    }
}
