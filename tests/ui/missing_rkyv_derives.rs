#[derive(bcast::BcastMessage)]
#[bcast(tag = 1)]
struct Quote {
    bid: f64,
}

fn main() {}
