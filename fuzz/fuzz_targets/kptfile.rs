//! The `kptfile` target: `porch_server::fuzzing::kptfile` on every input.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    porch_fuzz::fuzzing::kptfile(porch_fuzz::harness(), data);
});
