//! Reports: the verdicts of one run, in human, JSON, JUnit and HTML form.

mod html;
mod human;
mod json;
mod junit;
mod markup;
mod observed;
mod verdicts;

pub use html::render as html;
pub use human::render as human;
pub use json::render as json;
pub use junit::render as junit;
pub use observed::{DrawnEvent, Observed, DRAWN_MARKS};
pub use verdicts::{Report, Summary};
