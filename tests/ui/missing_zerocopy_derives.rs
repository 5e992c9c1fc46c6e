#[derive(bcast::BcastMessage)]
#[repr(C)]
#[bcast(tag = 2, pod)]
struct Trade {
    price: f64,
}

fn main() {}
