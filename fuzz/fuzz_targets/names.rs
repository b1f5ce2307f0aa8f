//! The `names` target: `porch_server::fuzzing::names` on every input.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    porch_fuzz::fuzzing::names(porch_fuzz::harness(), data);
});
