//! The `decode` target: `porch_server::fuzzing::decode` on every input.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    porch_fuzz::fuzzing::decode(porch_fuzz::harness(), data);
});
