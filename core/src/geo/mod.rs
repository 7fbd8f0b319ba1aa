//! The building index: which building is at a point, and who manages it, offline.
