/// A nested type without `#[bcast::typed::schema]`.
#[derive(rkyv::Archive, rkyv::Serialize)]
struct Venue {
    id: u32,
}

#[bcast::typed::message(tag = 1)]
struct Quote {
    bid: f64,
    venue: Venue,
}

fn main() {}
