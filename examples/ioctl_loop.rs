//! Sends trivial buffered IOCTLs in a loop (for profiling the request path).
fn main() {
    let n: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(100_000);
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/corpus/methods/methods.x64.sys");
    let mut sb = portcullis::Sandbox::builder().load_driver(path).unwrap();
    sb.driver_entry().unwrap();
    let h = sb.open(r"\\.\Methods").unwrap();
    let t = std::time::Instant::now();
    for _ in 0..n {
        std::hint::black_box(sb.ioctl(h, 0x8000_2400, b"abcd", 4).unwrap());
    }
    println!("{:.0} ioctls/s", n as f64 / t.elapsed().as_secs_f64());
}
