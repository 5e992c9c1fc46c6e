// A message has one key field.
#[bcast::typed::message(tag = 1)]
pub struct Quote {
    #[bcast(key)]
    pub symbol: String,
    #[bcast(key)]
    pub venue: String,
}

fn main() {}
