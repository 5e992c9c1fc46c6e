//! [`Errors`]: every error found in one input, combined so that all of them are reported.

/// The errors found so far, as one `syn::Error` (see [`syn::Error::combine`]).
#[derive(Default)]
pub(crate) struct Errors(Option<syn::Error>);

impl Errors {
    /// Adds `error` after the ones found so far.
    pub(crate) fn push(&mut self, error: syn::Error) {
        match &mut self.0 {
            Some(all) => all.combine(error),
            None => self.0 = Some(error),
        }
    }

    /// Adds every error of `result`, if it failed.
    pub(crate) fn check(&mut self, result: syn::Result<()>) {
        if let Err(error) = result {
            self.push(error);
        }
    }

    /// `Ok` if nothing was found, else every error found, leaving `self` as it is.
    pub(crate) fn to_result(&self) -> syn::Result<()> {
        self.0.clone().map_or(Ok(()), Err)
    }

    /// `Ok` if nothing was found, else every error found.
    pub(crate) fn finish(self) -> syn::Result<()> {
        self.0.map_or(Ok(()), Err)
    }
}
