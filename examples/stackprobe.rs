fn main() {
    let depth: usize = std::env::args().nth(1).unwrap().parse().unwrap();
    let stack: usize = std::env::args().nth(2).unwrap().parse().unwrap();
    let q = format!("SELECT a FROM X WHERE {}a = 1{}", "(".repeat(depth), ")".repeat(depth));
    let mut o = kql::Options::default();
    o.limits.max_depth = depth + 5;
    let h = std::thread::Builder::new().stack_size(stack).spawn(move || {
        let r = kql::parse(&q, kql::Lang::Kql, &o);
        r.is_ok()
    }).unwrap();
    println!("{:?}", h.join());
}
