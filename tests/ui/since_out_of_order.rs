#[bcast::typed::message(tag = 1, version = 3)]
struct Quote {
    bid: f64,
    #[bcast(since = 3)]
    venue: u32,
    #[bcast(since = 2)]
    ask: f64,
    size: u64,
}

// A schema type's fields have no versions of their own.
#[bcast::typed::schema]
struct Level {
    #[bcast(since = 2)]
    price: f64,
}

fn main() {}
