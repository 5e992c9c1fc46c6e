#[derive(bcast::BcastChannel)]
enum Nothing {}

fn main() {}
