#[derive(bcast::BcastMessage)]
enum Nothing {}

fn main() {}
