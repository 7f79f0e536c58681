//! A black-box checker for Server-Sent Events endpoints, and a WHATWG-exact parser.
pub mod parser;
