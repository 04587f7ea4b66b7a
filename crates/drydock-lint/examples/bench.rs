//! Time each rule on one file: `cargo run --release -p drydock-lint --example bench -- FILE`.

use drydock_lint::ctx::{Ctx, Sink};
use drydock_lint::{BundledResolver, Config, RULES};
use std::time::Instant;

fn main() {
    let Some(path) = std::env::args().nth(1) else {
        return;
    };
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    let t = Instant::now();
    let Ok(df) = drydock_dockerfile::parse(&text) else {
        return;
    };
    eprintln!("parse {:?}", t.elapsed());
    let config = Config::default();
    let t = Instant::now();
    let ctx = Ctx::new(&df, &text, &config, &BundledResolver);
    eprintln!("ctx {:?}", t.elapsed());
    for r in RULES {
        let t = Instant::now();
        let mut sink = Sink::default();
        (r.check)(&ctx, &mut sink);
        let e = t.elapsed();
        if e.as_millis() > 20 {
            eprintln!("{} {} {:?}", r.code, r.name, e);
        }
    }
}
