::core::compile_error!(
    "field `buy` of pod type `Trade` is a `bool`, which does not accept every bit pattern: a pod message is read in place from the channel's bytes, so each field must accept any bytes; use `u8` (0 or 1) instead, or drop `pod` to use the rkyv codec",
)
#[derive(::bcast::rkyv::Archive, ::bcast::rkyv::Serialize, ::bcast::rkyv::Deserialize)]
#[rkyv(crate = ::bcast::rkyv)]
#[derive(::bcast::BcastMessage)]
#[bcast(tag = 2)]
pub struct Trade {
    pub price: f64,
    pub buy: bool,
}
