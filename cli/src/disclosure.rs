//! Moved: the Chaum–Pedersen proof and disclosure files are `zkreg_regulator::dleq` and
//! `zkreg_regulator::disclosure`. This empty module remains only while `main.rs` declares
//! `mod disclosure;`; delete the file together with that line.
