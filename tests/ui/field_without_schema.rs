use std::collections::HashMap;

#[bcast::message(tag = 1)]
struct Quote {
    bid: f64,
    venues: HashMap<String, u32>,
}

fn main() {}
