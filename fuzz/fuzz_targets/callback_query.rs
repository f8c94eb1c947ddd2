//! The return URL's query, as the TR (or anyone) sends it.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pushprov::provisioning::ReturnReport;

fuzz_target!(|data: &[u8]| {
    if let Ok(query) = std::str::from_utf8(data) {
        let report = ReturnReport::from_query(query);
        let _ = report.matching(&["MCC-STL-1", "MCC-2"]);
    }
});
