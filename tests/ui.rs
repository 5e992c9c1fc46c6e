//! Compile-fail cases of the derives: each file under `tests/ui/` is one mistake, and its
//! `.stderr` is the diagnostic, which must point at the offending token. Regenerate with
//! `TRYBUILD=overwrite cargo test --test ui` and review the diff.

#[test]
#[cfg_attr(miri, ignore = "trybuild runs rustc")]
fn derive_misuse_fails_to_compile_with_a_pointed_message() {
    trybuild::TestCases::new().compile_fail("tests/ui/*.rs");
}
