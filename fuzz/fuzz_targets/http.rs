//! The `http` target: `porch_server::fuzzing::http` on every input.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    porch_fuzz::fuzzing::http(porch_fuzz::harness(), data);
});
