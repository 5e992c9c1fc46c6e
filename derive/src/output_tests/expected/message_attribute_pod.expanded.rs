#[derive(
    ::bcast::zerocopy::FromBytes,
    ::bcast::zerocopy::IntoBytes,
    ::bcast::zerocopy::KnownLayout,
    ::bcast::zerocopy::Immutable,
)]
#[zerocopy(crate = ":: bcast::zerocopy")]
#[repr(C)]
#[derive(::bcast::BcastMessage)]
#[bcast(tag = 2, pod)]
pub struct Trade {
    pub instrument: u64,
    pub price: f64,
}
