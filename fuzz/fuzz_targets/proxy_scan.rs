#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| dmct_fuzz::targets::proxy_scan(data));
