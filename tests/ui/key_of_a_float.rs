// A key field is an integer, a byte array or a string: a float is none.
#[bcast::typed::message(tag = 1, pod)]
pub struct Level {
    #[bcast(key)]
    pub price: f64,
    pub size: u64,
}

fn main() {}
