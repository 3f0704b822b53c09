//! Integration-style tests of bo-linfa against real studies.
