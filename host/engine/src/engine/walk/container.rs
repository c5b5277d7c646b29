//! A container step: runs its children in order.

use super::{Runner, summarise};
use crate::record::ResultCode;
use crate::workflow::Node;

impl Runner<'_> {
    pub(super) fn run_container(
        &mut self,
        children: &[Node],
        may_resume: bool,
    ) -> (ResultCode, String) {
        let failed = self.run_list(children, may_resume, None);
        summarise(failed)
    }
}
