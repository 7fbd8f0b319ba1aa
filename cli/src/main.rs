//! `connect`: the CommunityConnect core on a desktop.

fn main() {}
