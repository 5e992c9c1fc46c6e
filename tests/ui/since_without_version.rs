#[bcast::typed::message(tag = 1)]
struct Quote {
    bid: f64,
    #[bcast(since = 2)]
    ask: f64,
}

fn main() {}
