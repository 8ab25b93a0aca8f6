//! Tests of the queue's behaviour: unit tests of the pieces, then both transports end
//! to end (Redis ones against a real server).

mod in_process;
mod redis;
mod support;
mod units;
