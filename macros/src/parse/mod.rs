//! The parse stage: the attribute's arguments (`args.rs`) and the annotated
//! item (`item.rs`), each problem reported on the token it is about.

pub mod args;
pub mod item;
