//! The `continue_tokens` target: `porch_server::fuzzing::continue_tokens` on every input.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    porch_fuzz::fuzzing::continue_tokens(porch_fuzz::harness(), data);
});
