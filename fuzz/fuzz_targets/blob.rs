//! A blob body as the network delivers it: streamed, classified, never a panic; the counts
//! always add up.
#![no_main]

use audit_records::{BlobCount, OperationFilter, classify_blob};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let filter = OperationFilter::default();
    let mut count = BlobCount::default();
    let mut kept = 0u64;
    let _ = classify_blob(data, 4096, &filter, &mut count, |_event| {
        kept += 1;
        Ok::<(), std::convert::Infallible>(())
    });
    assert_eq!(count.records, count.kept + count.filtered + count.rejected);
    assert_eq!(kept, count.kept);
});
