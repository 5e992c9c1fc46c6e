#[derive(bcast::rkyv::Archive, bcast::rkyv::Serialize, bcast::BcastMessage)]
#[rkyv(crate = bcast::rkyv)]
struct Wrapper<T> {
    value: T,
}

fn main() {}
