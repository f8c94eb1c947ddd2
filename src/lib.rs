pub mod mdes;
