#[bcast::typed::message(tag = 1, version = 2)]
struct Quote {
    bid: f64,
    #[bcast(since = 3)]
    ask: f64,
}

fn main() {}
