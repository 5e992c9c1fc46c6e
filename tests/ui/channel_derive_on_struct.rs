#[derive(bcast::BcastChannel)]
pub struct Quote {
    pub bid: f64,
}

fn main() {}
