#[bcast::typed::message]
enum Side {
    Buy,
    Sell,
}

fn main() {}
