#[bcast::typed::message(tag = 1, pod, pod)]
#[repr(C)]
struct Trade {
    price: f64,
}

fn main() {}
