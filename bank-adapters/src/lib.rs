//! Bank statement parsers: bytes in, one normalized statement model out.
