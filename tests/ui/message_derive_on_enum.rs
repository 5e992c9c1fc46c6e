#[bcast::typed::message(tag = 1)]
pub struct Quote {
    pub bid: f64,
}

#[derive(bcast::BcastMessage)]
pub enum MarketData {
    Quote(Quote),
}

fn main() {}
