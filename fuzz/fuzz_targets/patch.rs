//! The `patch` target: `porch_server::fuzzing::patch` on every input.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    porch_fuzz::fuzzing::patch(porch_fuzz::harness(), data);
});
