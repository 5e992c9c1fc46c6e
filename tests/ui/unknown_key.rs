#[bcast::typed::message(tga = 1)]
struct Quote {
    bid: f64,
}

#[derive(bcast::rkyv::Archive, bcast::rkyv::Serialize, bcast::BcastMessage)]
#[rkyv(crate = bcast::rkyv)]
#[bcast(tag = 2, codec = "pod")]
struct Trade {
    price: f64,
}

fn main() {}
