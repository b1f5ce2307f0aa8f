//! The `selectors` target: `porch_server::fuzzing::selectors` on every input.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    porch_fuzz::fuzzing::selectors(porch_fuzz::harness(), data);
});
