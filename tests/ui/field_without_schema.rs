/// A nested type without `#[bcast::schema]`.
#[derive(rkyv::Archive, rkyv::Serialize)]
struct Venue {
    id: u32,
}

#[bcast::message(tag = 1)]
struct Quote {
    bid: f64,
    venue: Venue,
}

fn main() {}
